/**
 * The HTTP edge shared by every endpoint: errors as RFC 9457 problems (from Spring MVC,
 * from the servlet container's error page and from Tomcat's own refusals), the response
 * headers every answer carries, the limits on connections, bodies and {@code Accept}, the
 * optional bearer-token authorization, the browser page and the OpenAPI document.
 */
package dev.counterservice.web;
