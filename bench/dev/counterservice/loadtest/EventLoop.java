package dev.counterservice.loadtest;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.List;

/**
 * One event-loop thread drives many clients over non-blocking sockets, as wrk does: a selector wakes it for
 * every connection that is ready, so a few threads serve all clients without a context switch per request.
 */
final class EventLoop implements Runnable {

    private final Run run;
    private final List<Client> clients;

    EventLoop(Run run, List<Client> clients) {
        this.run = run;
        this.clients = clients;
    }

    @Override
    public void run() {
        try (Selector selector = Selector.open()) {
            long now = System.nanoTime();
            for (Client client : clients) {
                client.next(selector, now);
            }
            // Timeouts, retries and the end of the run are looked at every few milliseconds, not per event
            long nextTick = now;
            for (int active = clients.size(); active > 0; ) {
                selector.select(key -> ((Client) key.attachment()).ready(selector, key), 5);
                now = System.nanoTime();
                if (now - nextTick >= 0) {
                    nextTick = now + 2_000_000;
                    active = 0;
                    for (Client client : clients) {
                        client.tick(selector, now);
                        active += client.done ? 0 : 1;
                    }
                }
            }
        }
        catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        finally {
            clients.forEach(Client::close);
        }
    }
}
