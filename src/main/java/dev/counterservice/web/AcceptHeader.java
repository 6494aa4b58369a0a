package dev.counterservice.web;

import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.accept.HeaderContentNegotiationStrategy;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.servlet.config.annotation.ContentNegotiationConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Reads {@code Accept} as RFC 9110 means it: a type with {@code q=0} is not acceptable.
 * Spring matches it like any other, so {@code Accept: application/json;q=0} would get
 * JSON; here it gets the plain-text default. A header that refuses everything it names is
 * treated as no header, since the API answers every request rather than 406.
 */
@Component
class AcceptHeader implements WebMvcConfigurer {

    @Override
    public void configureContentNegotiation(ContentNegotiationConfigurer configurer) {
        configurer.strategies(List.of(new HeaderContentNegotiationStrategy() {

            @Override
            public List<MediaType> resolveMediaTypes(NativeWebRequest request)
                    throws HttpMediaTypeNotAcceptableException {
                List<MediaType> acceptable = super.resolveMediaTypes(request).stream()
                    .filter(type -> type.getQualityValue() > 0)
                    .toList();
                return acceptable.isEmpty() ? MEDIA_TYPE_ALL_LIST : acceptable;
            }
        }));
    }

}
