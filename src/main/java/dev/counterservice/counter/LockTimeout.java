package dev.counterservice.counter;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Has PostgreSQL give up a lock wait after {@code counter.timeout} ({@code lock_timeout},
 * set for each pooled connection): a batch queued behind a row lock held elsewhere frees
 * its connection once its requests have been answered 503, instead of holding it until
 * the socket times out. Set on the connection, not per statement: a JDBC query timeout
 * schedules a task on the driver's shared timer for every statement, on the path every
 * request waits on (docs/benchmarks.md).
 */
@Component
class LockTimeout implements BeanPostProcessor {

    private final ObjectProvider<CounterProperties> properties;

    LockTimeout(ObjectProvider<CounterProperties> properties) {
        this.properties = properties;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource dataSource) {
            String options = dataSource.getDataSourceProperties().getProperty("options", "");
            dataSource.addDataSourceProperty("options",
                    (options + " -c lock_timeout=" + properties.getObject().timeout().toMillis()).strip());
        }
        return bean;
    }

}
