package dev.counterservice.loadtest;

import java.util.Arrays;
import java.util.List;

/**
 * Every successful response of a run, client after client, each client's in the order it sent them:
 * response i of client c is at index {@code offsets[c] + i}. A response's numbers are {@code first..last} of its
 * {@code period} (a {@link Period} key; {@link Period#NONE} for counters without periods).
 */
public record Responses(long[] sent, long[] received, long[] period, long[] first, long[] last, int[] offsets) {

    /** {@link #grouped(int[], long[], long[], long[], long[], long[])} of a counter without periods. */
    public static Responses grouped(int[] client, long[] sent, long[] received, long[] first, long[] last) {
        return grouped(client, sent, received, new long[client.length], first, last);
    }

    /**
     * Responses given row by row, already grouped client after client (ascending client numbers, each client's in
     * the order it sent them); {@code client[i]} is row i's client.
     */
    public static Responses grouped(int[] client, long[] sent, long[] received, long[] period, long[] first,
            long[] last) {
        int clients = client.length == 0 ? 0 : client[client.length - 1] + 1;
        int[] offsets = new int[clients + 1];
        for (int i = 0; i < client.length; i++) {
            offsets[client[i] + 1] = i + 1;
        }
        // A client with no response starts where the one before it ended
        for (int c = 1; c <= clients; c++) {
            offsets[c] = Math.max(offsets[c], offsets[c - 1]);
        }
        return new Responses(sent, received, period, first, last, offsets);
    }

    public int size() {
        return sent.length;
    }

    int clientOf(int index) {
        int at = Arrays.binarySearch(offsets, index);
        if (at >= 0) {
            while (at + 1 < offsets.length && offsets[at + 1] == index) {
                at++;
            }
            return at;
        }
        return -at - 2;
    }

    /**
     * Each counter's rows apart, client after client, each client's in the order it sent them: the clients' arrays
     * stay as they are.
     */
    static Responses[] perCounter(List<Client> clients, int counters) {
        int[] sizes = new int[counters];
        for (Client client : clients) {
            for (int i = 0; i < client.size; i++) {
                sizes[client.counterOf[i]]++;
            }
        }
        Responses[] parts = new Responses[counters];
        int[] filled = new int[counters];
        for (int c = 0; c < counters; c++) {
            parts[c] = new Responses(new long[sizes[c]], new long[sizes[c]], new long[sizes[c]], new long[sizes[c]],
                    new long[sizes[c]], new int[clients.size() + 1]);
        }
        for (int k = 0; k < clients.size(); k++) {
            Client client = clients.get(k);
            for (int c = 0; c < counters; c++) {
                parts[c].offsets[k] = filled[c];
            }
            for (int i = 0; i < client.size; i++) {
                int c = client.counterOf[i];
                Responses part = parts[c];
                part.sent[filled[c]] = client.sent[i];
                part.received[filled[c]] = client.received[i];
                part.period[filled[c]] = client.period[i];
                part.first[filled[c]] = client.first[i];
                part.last[filled[c]] = client.last[i];
                filled[c]++;
            }
        }
        for (int c = 0; c < counters; c++) {
            parts[c].offsets[clients.size()] = filled[c];
        }
        return parts;
    }

    /** Copies each client's rows and drops the client's own arrays, so the peak is one copy plus one client. */
    static Responses merge(List<Client> clients) {
        int total = clients.stream().mapToInt(c -> c.size).sum();
        long[] sent = new long[total];
        long[] received = new long[total];
        long[] period = new long[total];
        long[] first = new long[total];
        long[] last = new long[total];
        int[] offsets = new int[clients.size() + 1];
        int at = 0;
        for (int c = 0; c < clients.size(); c++) {
            Client client = clients.get(c);
            offsets[c] = at;
            System.arraycopy(client.sent, 0, sent, at, client.size);
            System.arraycopy(client.received, 0, received, at, client.size);
            System.arraycopy(client.period, 0, period, at, client.size);
            System.arraycopy(client.first, 0, first, at, client.size);
            System.arraycopy(client.last, 0, last, at, client.size);
            at += client.size;
            client.sent = client.received = client.period = client.first = client.last = null;
        }
        offsets[clients.size()] = at;
        return new Responses(sent, received, period, first, last, offsets);
    }
}
