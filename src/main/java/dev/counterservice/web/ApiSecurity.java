package dev.counterservice.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.counterservice.counter.CounterAdminAccess;
import dev.counterservice.counter.CounterReadAccess;
import dev.counterservice.counter.CounterRoutes;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.access.BearerTokenAccessDeniedHandler;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.servlet.HandlerExceptionResolver;

import static org.springframework.security.config.Customizer.withDefaults;

/**
 * Bearer-token authorization of the API, on only when a JWT issuer or key is configured
 * with Spring Security's own resource-server properties
 * ({@code spring.security.oauth2.resourceserver.jwt.issuer-uri}, {@code jwk-set-uri} or
 * {@code public-key-location}). Otherwise Spring Security is not in the request path at
 * all: application.properties excludes Boot's default security, so no filter, header or
 * CSRF check changes the API.
 * <p>
 * Scopes name the counter ({@link CounterScopes}): {@code counter:<name>:next} takes
 * numbers from it ({@code /next} is the counter {@code default}; HEAD too),
 * {@code counter:<name>:read} reads it, and {@code GET /counters} lists only the readable
 * ones ({@link CounterReadAccess}); {@code counter:admin} creates and advances any
 * counter ({@link CounterAdminAccess}). No token or a bad one is a 401 with
 * {@code WWW-Authenticate: Bearer}, a token without the scope a 403; both problems
 * rendered by {@link ProblemHandler}, and nothing consumed. The page, the OpenAPI
 * document, the error page, the RFC 9728 metadata and the management port's probes and
 * metrics need no token.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(ApiSecurity.JwtConfigured.class)
@EnableWebSecurity
class ApiSecurity {

    @Bean
    SecurityFilterChain api(HttpSecurity http,
            @Qualifier("handlerExceptionResolver") HandlerExceptionResolver problems) {
        BearerTokenAuthenticationEntryPoint unauthorized = new BearerTokenAuthenticationEntryPoint();
        BearerTokenAccessDeniedHandler forbidden = new BearerTokenAccessDeniedHandler();
        return http
            .authorizeHttpRequests(requests -> requests.dispatcherTypeMatchers(DispatcherType.ERROR)
                .permitAll()
                .requestMatchers(EndpointRequest.toAnyEndpoint())
                .permitAll()
                // The page and the OpenAPI document describe the API to strangers too
                .requestMatchers(HttpMethod.GET, PageController.PATH, ApiDocumentController.JSON_PATH,
                        ApiDocumentController.YAML_PATH)
                .permitAll()
                // Creating and advancing: one scope for every counter, checked before the
                // per-counter rules of the same paths
                .requestMatchers(HttpMethod.PUT, CounterRoutes.COUNTER)
                .hasAuthority(CounterScopes.ADMIN_AUTHORITY)
                .requestMatchers(HttpMethod.POST, CounterRoutes.ADVANCE)
                .hasAuthority(CounterScopes.ADMIN_AUTHORITY)
                .requestMatchers(CounterRoutes.NEXT, CounterRoutes.NEXT_OF)
                .access(CounterScopes.required(CounterScopes.NEXT))
                .requestMatchers(HttpMethod.GET, CounterRoutes.COUNTER)
                .access(CounterScopes.required(CounterScopes.READ))
                .anyRequest()
                .authenticated())
            .oauth2ResourceServer(server -> server.jwt(withDefaults())
                // RFC 9728 metadata at /.well-known/oauth-protected-resource, which 401s
                // point to: tokens are
                // not bound to client certificates here
                .protectedResourceMetadata(metadata -> metadata.protectedResourceMetadataCustomizer(
                        builder -> builder.tlsClientCertificateBoundAccessTokens(false)))
                .authenticationEntryPoint((request, response, ex) -> {
                    unauthorized.commence(request, response, ex);
                    problem(problems, request, response, HttpStatus.UNAUTHORIZED,
                            "The API needs a valid bearer token: Authorization: Bearer <token>");
                })
                .accessDeniedHandler((request, response, ex) -> {
                    forbidden.handle(request, response, ex);
                    problem(problems, request, response, HttpStatus.FORBIDDEN, CounterScopes.MISSING);
                }))
            // A bearer token is no cookie a browser sends by itself: nothing for CSRF to
            // protect
            .csrf(AbstractHttpConfigurer::disable)
            // ResponseHeaders sets the API's own, on every response
            .headers(AbstractHttpConfigurer::disable)
            .requestCache(AbstractHttpConfigurer::disable)
            .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .build();
    }

    /** The filter chain has checked the scope already; this says so to the controller. */
    @Bean
    CounterAdminAccess scopedAdminAccess() {
        return () -> CounterScopes.grantedAdmin(SecurityContextHolder.getContext().getAuthentication());
    }

    /**
     * Spring Boot adds this to its token checks in place of the default timestamp check,
     * which lets a token without {@code exp} through: such a token would be valid for
     * ever.
     */
    @Bean
    JwtTimestampValidator expiryRequired() {
        JwtTimestampValidator validator = new JwtTimestampValidator();
        validator.setAllowEmptyExpiryClaim(false);
        return validator;
    }

    @Bean
    CounterReadAccess scopedReadAccess() {
        return counter -> CounterScopes.granted(SecurityContextHolder.getContext().getAuthentication(), counter,
                CounterScopes.READ);
    }

    /**
     * The status and WWW-Authenticate are set; the body comes from ProblemHandler, as for
     * every other problem.
     */
    private static void problem(HandlerExceptionResolver problems, HttpServletRequest request,
            HttpServletResponse response, HttpStatus status, String detail) {
        problems.resolveException(request, response, null,
                new ErrorResponseException(status, ProblemDetail.forStatusAndDetail(status, detail), null));
    }

    /** Any of the three ways Spring Boot configures a JWT decoder. */
    static class JwtConfigured extends AnyNestedCondition {

        JwtConfigured() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty("spring.security.oauth2.resourceserver.jwt.issuer-uri")
        static class IssuerUri {

        }

        @ConditionalOnProperty("spring.security.oauth2.resourceserver.jwt.jwk-set-uri")
        static class JwkSetUri {

        }

        @ConditionalOnProperty("spring.security.oauth2.resourceserver.jwt.public-key-location")
        static class PublicKeyLocation {

        }

    }

}
