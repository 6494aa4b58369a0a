package dev.counterservice.web;

import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;

import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Makes {@link ProblemErrorReportValve} the only error report valve of the API server's
 * host, replacing the HTML one Tomcat or Spring Boot would install. Runs after Boot's own
 * Tomcat customizer (this bean has the lowest precedence), so that Boot's valve is
 * already there to be removed.
 */
@Component
class TomcatErrorsCustomizer implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> {

    @Override
    public void customize(ConfigurableTomcatWebServerFactory factory) {
        factory.addContextCustomizers(context -> {
            StandardHost host = (StandardHost) context.getParent();
            // Tomcat adds a valve of this class when the host starts unless one is there:
            // ours is
            host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            Pipeline pipeline = host.getPipeline();
            for (Valve valve : pipeline.getValves()) {
                if (valve instanceof ErrorReportValve) {
                    pipeline.removeValve(valve);
                }
            }
            pipeline.addValve(new ProblemErrorReportValve());
        });
    }

}
