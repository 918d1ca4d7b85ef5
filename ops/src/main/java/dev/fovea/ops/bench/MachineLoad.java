package dev.fovea.ops.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine other processes took during a run: the CPU time the whole machine spent
 * busy ({@code /proc/stat}, Linux) minus this JVM's own. On a machine shared with other work a
 * throughput figure means little without it. Unknown (NaN) where {@code /proc/stat} is not.
 */
final class MachineLoad {

    /**
     * The unit of {@code /proc/stat}: USER_HZ, which the kernel fixes at 100 for user space on
     * every architecture Fovea runs on, whatever its internal tick.
     */
    private static final double TICKS_PER_SECOND = 100;

    private static final Path PROC_STAT = Path.of("/proc/stat");

    /**
     * One reading.
     *
     * @param machineBusySeconds CPU seconds the machine spent busy since boot (NaN if unknown),
     *     time stolen by a hypervisor included: it was not this machine's to use either
     * @param processCpuSeconds CPU seconds this JVM used (NaN if unknown)
     */
    record Snapshot(long nanos, double machineBusySeconds, double processCpuSeconds) {}

    private MachineLoad() {}

    static Snapshot now() {
        return new Snapshot(System.nanoTime(), machineBusySeconds(), processCpuSeconds());
    }

    /** The cores this JVM kept busy between {@code a} and {@code b}, on average. */
    static double ownCores(Snapshot a, Snapshot b) {
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        return seconds > 0 ? (b.processCpuSeconds() - a.processCpuSeconds()) / seconds : Double.NaN;
    }

    /** The cores other processes kept busy between {@code a} and {@code b}, on average. */
    static double otherCores(Snapshot a, Snapshot b) {
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        if (!(seconds > 0)) {
            return Double.NaN;
        }
        double others =
                (b.machineBusySeconds() - a.machineBusySeconds())
                        - (b.processCpuSeconds() - a.processCpuSeconds());
        // Both counters tick at their own granularity: a slightly negative share is none.
        return Math.max(0, others / seconds);
    }

    /**
     * The busy CPU seconds of the {@code cpu} line of {@code /proc/stat}: user, nice, system, irq,
     * softirq and steal (guest time is counted in user already); NaN for any other line.
     */
    static double busySeconds(String cpuLine) {
        String[] fields = cpuLine.trim().split("\\s+");
        if (fields.length < 9 || !fields[0].equals("cpu")) {
            return Double.NaN;
        }
        long ticks = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            ticks += Long.parseLong(fields[i]);
        }
        return ticks / TICKS_PER_SECOND;
    }

    private static double machineBusySeconds() {
        try (var lines = Files.lines(PROC_STAT)) {
            return lines.findFirst().map(MachineLoad::busySeconds).orElse(Double.NaN);
        } catch (IOException | RuntimeException e) {
            return Double.NaN; // not Linux, or no /proc: the load stays unknown
        }
    }

    private static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            long nanos = os.getProcessCpuTime();
            return nanos < 0 ? Double.NaN : nanos / 1e9;
        }
        return Double.NaN;
    }
}
