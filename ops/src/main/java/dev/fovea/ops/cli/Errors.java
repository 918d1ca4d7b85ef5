package dev.fovea.ops.cli;

import dev.fovea.ops.local.BrokerException;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.workers.StartupException;
import dev.fovea.workers.runtime.ModelLoadException;

import org.apache.kafka.common.config.ConfigException;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns the failures a user can fix (bad config, missing model, unreachable broker or registry,
 * missing file) into one line on stderr and exit code 2; anything else is a bug and shows its stack
 * trace (exit code 1).
 */
final class Errors implements IExecutionExceptionHandler {
    static final int USER_ERROR = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) {
        if (isUserError(e)) {
            command.getErr().println("fovea " + command.getCommandName() + ": " + e.getMessage());
            return USER_ERROR;
        }
        e.printStackTrace(command.getErr());
        return 1;
    }

    static boolean isUserError(Throwable e) {
        return e instanceof ConfigException
                || e instanceof BrokerException
                || e instanceof ModelLoadException
                || e instanceof StartupException
                || e instanceof SchemaRegistryException
                || e instanceof IOException
                || e instanceof UncheckedIOException
                || e instanceof IllegalArgumentException;
    }
}
