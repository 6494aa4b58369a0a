package dev.counterservice.counter;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.counterservice.counter.CounterRepository.Attempt;
import dev.counterservice.counter.CounterRepository.KeyedAttempt;
import dev.counterservice.counter.CounterRepository.Stored;

/**
 * A stand-in for a failover a single real server cannot produce: the real repository, but
 * once promoted its statements report another server, and the one it was before is no
 * longer it, as a standby promoted to primary shows it. The statements still run on the
 * real database; only the server they report and are asked for changes.
 */
final class PromotedStandby implements InvocationHandler {

    private static final String PROMOTED = "-promoted";

    private final CounterRepository real;

    private volatile boolean promoted;

    /** Promotes the standby once the first batch's statement has run. */
    volatile boolean promoteAfterFirstAdd;

    /** Runs before each batch's statement. */
    volatile Runnable beforeAdd = () -> {
    };

    PromotedStandby(CounterRepository real) {
        this.real = real;
    }

    void promote() {
        promoted = true;
    }

    CounterRepository repository() {
        return (CounterRepository) Proxy.newProxyInstance(CounterRepository.class.getClassLoader(),
                new Class<?>[] { CounterRepository.class }, this);
    }

    /** Calls {@code method} on {@code repository}, throwing what it throws. */
    static Object call(CounterRepository repository, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(repository, args);
        }
        catch (InvocationTargetException ex) {
            throw ex.getCause();
        }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getName().startsWith("add")) {
            beforeAdd.run();
            args[4] = Arrays.stream((String[]) args[4]).map(this::asked).toArray(String[]::new);
        }
        Object result = call(real, method, args);
        synchronized (this) {
            if (method.getName().startsWith("add")) {
                result = ((List<?>) result).stream()
                    .map(Attempt.class::cast)
                    .map(attempt -> (Attempt) new ShownAttempt(attempt.getName(), attempt.getValue(),
                            attempt.getPeriod(), attempt.getHeld(), attempt.getHeldPeriod(), shown(attempt.getServer()),
                            attempt.getReplicated(), attempt instanceof KeyedAttempt keyed && keyed.getKnown()))
                    .toList();
                promoted |= promoteAfterFirstAdd;
            }
            else if (result instanceof Optional<?> fenced && fenced.orElse(null) instanceof Stored stored) {
                result = Optional.of(new ShownStored(stored.getValue(), shown(stored.getServer())));
            }
        }
        return result;
    }

    /** The server the real database is asked to be: the promoted one is it now. */
    private String asked(String expected) {
        if (!promoted || expected.isEmpty()) {
            return expected;
        }
        return expected.endsWith(PROMOTED) ? expected.substring(0, expected.length() - PROMOTED.length())
                : expected + "-before-the-failover";
    }

    private String shown(String server) {
        return promoted ? server + PROMOTED : server;
    }

    private record ShownAttempt(String getName, Long getValue, String getPeriod, Long getHeld, String getHeldPeriod,
            String getServer, boolean getReplicated, boolean getKnown) implements KeyedAttempt {
    }

    private record ShownStored(long getValue, String getServer) implements Stored {
    }

}
