package dev.counterservice.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.counterservice.testing.AppInstance;
import dev.counterservice.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page in a real browser: Debian's headless Chromium driven through its chromedriver,
 * with no network beyond the service on 127.0.0.1 and nothing for Selenium Manager to
 * download. Without Chromium the test fails, it does not skip. A screenshot of the page
 * after the clicks is left in {@code target/browser-page.png}.
 */
class BrowserPageIntegrationTests {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final AppInstance instance = AppInstance.shared();

    private static Path profile;

    private static ChromeDriver browser;

    @BeforeAll
    static void start() throws IOException {
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
            .as("The browser test needs Chromium and its driver at %s and %s; on Debian: apt-get install -y chromium chromium-driver",
                    CHROMIUM, CHROMEDRIVER)
            .isTrue();
        profile = Files.createTempDirectory("chromium-profile-");
        // Both paths given, so Selenium Manager has nothing to find or download (the
        // network may be closed)
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1024,768");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void theButtonTakesIncreasingNumbersAndTheListShowsThem() throws IOException {
        browser.get(instance.baseUrl() + "/");
        WebElement button = showFrom("default");
        long shown = Long.parseLong(valueCell("default").getText());
        assertThat(shown).isEqualTo(stored("default"));

        button.click();
        long first = awaitTakenOtherThan("–");
        button.click();
        long second = awaitTakenOtherThan(Long.toString(first));

        assertThat(first).isGreaterThan(shown);
        assertThat(second).isGreaterThan(first);
        assertThat(valueCell("default").getText()).isEqualTo(Long.toString(second));
        assertThat(stored("default")).isGreaterThanOrEqualTo(second);
        assertThat(browser.findElement(By.id("status")).getText()).isEmpty();
        Files.write(Path.of("target", "browser-page.png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void clickingAgainAfterALostAnswerRetriesTheSameRequestAndTakesNoSecondNumber() {
        browser.get(instance.baseUrl() + "/");
        WebElement button = showFrom("orders");
        assertThat(valueCell("orders").getText()).isEqualTo(Long.toString(stored("orders")));
        long before = stored("orders");
        // The first POST reaches the service, which commits a number, but its answer is
        // lost on the way back
        ((JavascriptExecutor) browser).executeScript("""
                const realFetch = window.fetch;
                let lose = true;
                window.fetch = async (path, options) => {
                  const response = await realFetch(path, options);
                  if (options.method === 'POST' && lose) { lose = false; throw new TypeError('connection lost'); }
                  return response;
                };""");

        button.click();
        new WebDriverWait(browser, WAIT)
            .until(driver -> driver.findElement(By.id("status")).getText().contains("connection lost"));
        assertThat(stored("orders")).isEqualTo(before + 1);
        button.click();

        assertThat(awaitTakenOtherThan("–")).isEqualTo(before + 1);
        assertThat(stored("orders")).isEqualTo(before + 1);
    }

    /**
     * With authorization on, the page cannot send a token: it says so, and how to call
     * the API with one.
     */
    @Test
    void withAuthorizationOnThePageSaysHowToCallTheApiWithAToken() {
        try (AppInstance secured = AppInstance.start(TestDatabase.shared(),
                Map.of(TestIssuer.PUBLIC_KEY_LOCATION, TestIssuer.generate().publicKeyLocation()))) {
            browser.get(secured.baseUrl() + "/");
            String status = new WebDriverWait(browser, WAIT).until(driver -> {
                String text = driver.findElement(By.id("status")).getText();
                return text.isEmpty() ? null : text;
            });

            assertThat(status).contains("bearer token")
                .contains("Authorization: Bearer $TOKEN")
                .contains(secured.baseUrl() + "/next");
        }
    }

    /**
     * JavaScript numbers are exact only up to 2^53; the page shows a bigint counter's
     * digits as the API sent them.
     */
    @Test
    void numbersBeyondJavaScriptPrecisionAreShownExactly() {
        long beyondDoubles = (1L << 53) + 1;
        TestDatabase.shared().execute("UPDATE counter SET value = %d WHERE name = 'huge'".formatted(beyondDoubles));
        browser.get(instance.baseUrl() + "/");
        WebElement button = showFrom("huge");

        assertThat(valueCell("huge").getText()).isEqualTo(Long.toString(beyondDoubles));
        button.click();
        assertThat(awaitTakenOtherThan("–")).isEqualTo(beyondDoubles + 1);
    }

    @Test
    void thePageLoadedNothingButItselfAndTheApi() {
        browser.get(instance.baseUrl() + "/");
        showFrom("orders");

        @SuppressWarnings("unchecked")
        List<String> loaded = (List<String>) ((JavascriptExecutor) browser)
            .executeScript("return performance.getEntriesByType('resource').map(entry => entry.name)");

        assertThat(loaded).isNotEmpty().allSatisfy(url -> assertThat(url).startsWith(instance.baseUrl() + "/"));
    }

    @Test
    void theFormCreatesACounterThatTheListShowsAndItsButtonServes() {
        String name = "page-" + Long.toString(System.nanoTime(), 36);
        browser.get(instance.baseUrl() + "/");
        browser.findElement(By.id("create-name")).sendKeys(name);
        browser.findElement(By.id("create-start")).sendKeys("9007199254740993");
        browser.findElement(By.cssSelector("#create button")).click();

        WebElement button = new WebDriverWait(browser, WAIT)
            .until(driver -> driver.findElement(By.cssSelector("button[data-counter='" + name + "']")));
        assertThat(browser.findElement(By.id("taken-from")).getText()).isEqualTo("Created \"" + name + "\".");
        assertThat(valueCell(name).getText()).isEqualTo("9007199254740993");
        button.click();
        assertThat(awaitTakenOtherThan("–")).isEqualTo(9007199254740994L);

        browser.findElement(By.cssSelector("#create button")).click();
        new WebDriverWait(browser, WAIT).until(driver -> driver.findElement(By.id("taken-from"))
            .getText()
            .equals("\"" + name + "\" exists with these settings."));
        browser.findElement(By.id("create-start")).clear();
        browser.findElement(By.cssSelector("#create button")).click();
        new WebDriverWait(browser, WAIT)
            .until(driver -> driver.findElement(By.id("status")).getText().contains("exists with other settings"));
    }

    /**
     * A daily, formatted, audited counter created through the form: the page shows the
     * formatted number and the current period, and the service has the settings and a
     * ledger entry for the number. Written to the series API contract: it needs the
     * service side of periods, formats and the ledger.
     */
    @Test
    void theFormCreatesADailyFormattedAuditedCounterAndThePageShowsTheFormattedNumberAndPeriod() {
        String name = "series-" + Long.toString(System.nanoTime(), 36);
        browser.get(instance.baseUrl() + "/");
        browser.findElement(By.id("create-name")).sendKeys(name);
        new Select(browser.findElement(By.id("create-period"))).selectByValue("daily");
        browser.findElement(By.id("create-zone")).sendKeys("Europe/Paris");
        browser.findElement(By.id("create-format")).sendKeys("T-{period}-{value:04}");
        browser.findElement(By.id("create-audit")).click();
        browser.findElement(By.cssSelector("#create button")).click();

        WebElement button = new WebDriverWait(browser, WAIT)
            .until(driver -> driver.findElement(By.cssSelector("button[data-counter='" + name + "']")));
        button.click();
        String taken = new WebDriverWait(browser, WAIT).until(driver -> {
            String text = driver.findElement(By.id("taken")).getText();
            return text.equals("–") ? null : text;
        });

        assertThat(taken).matches("T-(\\d{4}-\\d\\d-\\d\\d)-0001");
        String period = taken.substring(2, 12);
        assertThat(browser.findElement(By.id("taken-from")).getText())
            .isEqualTo("is yours, from \"" + name + "\", period " + period);
        assertThat(valueCell(name).getText()).isEqualTo("1 in " + period);
        assertThat(json("/counters/" + name)).contains("\"period\":\"daily\"", "\"timeZone\":\"Europe/Paris\"",
                "\"format\":\"T-{period}-{value:04}\"", "\"audit\":true", "\"currentPeriod\":\"" + period + "\"");
        assertThat(json("/counters/" + name + "/ledger?period=" + period)).contains("\"kind\":\"issued\"",
                "\"first\":1", "\"last\":1");
    }

    /** The JSON answer of a GET, fetched by the page's own origin. */
    private String json(String path) {
        return (String) ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch(arguments[0], { headers: { Accept: 'application/json' } }).then(r => r.text()).then(done);""",
                path);
    }

    @Test
    void theListGoesPageByPageThroughMoreCountersThanAPageHolds() {
        for (int i = 0; i < 250; i++) {
            TestDatabase.shared()
                .execute("INSERT INTO counter (name) VALUES ('paged-%03d') ON CONFLICT DO NOTHING".formatted(i));
        }
        browser.get(instance.baseUrl() + "/");
        showFrom("paged-000");
        assertThat(valueCell("paged-099")).isNotNull();
        assertThat(browser.findElements(By.cssSelector("#counters tr"))).hasSize(100);

        browser.findElement(By.id("next-page")).click();
        new WebDriverWait(browser, WAIT)
            .until(driver -> !driver.findElements(By.cssSelector("button[data-counter='paged-199']")).isEmpty());
        assertThat(browser.findElements(By.cssSelector("button[data-counter='paged-099']"))).isEmpty();
        browser.findElement(By.id("previous-page")).click();
        new WebDriverWait(browser, WAIT)
            .until(driver -> !driver.findElements(By.cssSelector("button[data-counter='paged-050']")).isEmpty());
    }

    @Test
    void openingNextShowsABareNumberAndReloadingTakesAnotherOne() {
        browser.get(instance.baseUrl() + "/next");
        long first = Long.parseLong(browser.findElement(By.tagName("body")).getText().trim());
        browser.navigate().refresh();
        long second = Long.parseLong(browser.findElement(By.tagName("body")).getText().trim());
        browser.get(instance.baseUrl() + "/next");
        long third = Long.parseLong(browser.findElement(By.tagName("body")).getText().trim());

        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
        assertThat(stored("default")).isGreaterThanOrEqualTo(third);
    }

    /** Shows the counters from {@code name}, and the button of that counter. */
    private WebElement showFrom(String name) {
        WebElement from = new WebDriverWait(browser, WAIT).until(driver -> driver.findElement(By.id("from")));
        from.clear();
        from.sendKeys(name);
        browser.findElement(By.cssSelector("#find button")).click();
        // The list is busy from the click until that page is shown
        return new WebDriverWait(browser, WAIT).until(driver -> driver
            .findElement(By.cssSelector("#counters:not([aria-busy]) button[data-counter='" + name + "']")));
    }

    private WebElement valueCell(String counter) {
        return browser.findElement(By.xpath("//tr[td[1]='%s']/td[2]".formatted(counter)));
    }

    /**
     * Waits until the page shows a taken number other than {@code previous}, and returns
     * it.
     */
    private long awaitTakenOtherThan(String previous) {
        String taken = new WebDriverWait(browser, WAIT).until(driver -> {
            String text = driver.findElement(By.id("taken")).getText();
            return text.equals(previous) ? null : text;
        });
        return Long.parseLong(taken);
    }

    private long stored(String counter) {
        return TestDatabase.shared().queryForLong("SELECT value FROM counter WHERE name = '%s'".formatted(counter));
    }

}
