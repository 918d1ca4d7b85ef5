package dev.fovea.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MachineLoadTest {

    @Test
    void shouldCountUserNiceSystemIrqSoftirqAndStealAsBusy() {
        // user nice system idle iowait irq softirq steal guest guest_nice, in 1/100 s
        assertEquals(
                (100 + 2 + 30 + 4 + 5 + 6) / 100.0,
                MachineLoad.busySeconds("cpu  100 2 30 9999 77 4 5 6 50 0"),
                1e-9);
        assertTrue(Double.isNaN(MachineLoad.busySeconds("cpu0 100 2 30 9999 77 4 5 6 50 0")));
        assertTrue(Double.isNaN(MachineLoad.busySeconds("cpu 1 2")));
    }

    @Test
    void shouldChargeOtherProcessesWithTheMachinesBusyTimeThatWasNotOurs() {
        MachineLoad.Snapshot a = new MachineLoad.Snapshot(0, 1000.0, 40.0);
        MachineLoad.Snapshot b = new MachineLoad.Snapshot(2_000_000_000L, 1003.0, 41.0);

        // 3 busy seconds in 2 s, 1 of them this JVM's: others kept one core busy.
        assertEquals(1.0, MachineLoad.otherCores(a, b), 1e-9);
        // The two counters' granularity can make our share look larger than the machine's.
        assertEquals(
                0.0,
                MachineLoad.otherCores(a, new MachineLoad.Snapshot(1_000_000_000L, 1001.0, 41.1)),
                1e-9);
        assertTrue(Double.isNaN(MachineLoad.otherCores(a, a)));
    }
}
