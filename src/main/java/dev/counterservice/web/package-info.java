/**
 * The HTTP edge shared by every endpoint: errors as RFC 9457 problems (from Spring MVC, from the servlet
 * container's error page and from Tomcat's own refusals), the response headers every answer carries, and the
 * browser page.
 */
package dev.counterservice.web;
