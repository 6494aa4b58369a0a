/**
 * Runs the load tester: {@code java bench/LoadTest.java --url http://127.0.0.1:8080}. Java 22 and later compile
 * the classes it uses from {@code bench/dev/counterservice/loadtest/} on the fly; see {@code LoadTester} there.
 */
public class LoadTest {

    public static void main(String[] args) throws Exception {
        dev.counterservice.loadtest.LoadTester.run(args);
    }
}
