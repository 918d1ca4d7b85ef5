package dev.fovea.ops.tools;

import java.io.PrintStream;

/**
 * A one-line progress display for long work ({@code [#####.....] 120/400 35.2/s}), redrawn in place
 * on a terminal and printed every 10% otherwise, so logs stay readable.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;
    private int lastDecile = -1;

    public ProgressBar(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.terminal = System.console() != null;
    }

    public void update(long done) {
        long now = System.nanoTime();
        int decile = total > 0 ? (int) (done * 10 / total) : 0;
        if (terminal && now - lastDrawNanos > 100_000_000L) {
            out.print("\r" + line(done));
            lastDrawNanos = now;
        } else if (!terminal && decile != lastDecile) {
            out.println(line(done));
            lastDecile = decile;
        }
    }

    public void finish(long done) {
        if (terminal) {
            out.println("\r" + line(done));
        } else if (lastDecile != 10) {
            out.println(line(done));
        }
    }

    String line(long done) {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        int filled = total > 0 ? (int) Math.min(WIDTH, done * WIDTH / total) : 0;
        return String.format(
                "%s [%s%s] %d/%d %.1f/s",
                label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, done / seconds);
    }
}
