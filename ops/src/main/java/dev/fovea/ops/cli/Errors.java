package dev.fovea.ops.cli;

import dev.fovea.ops.local.BrokerException;
import dev.fovea.ops.logging.Logging;
import dev.fovea.schemas.registry.SchemaRegistryException;
import dev.fovea.workers.StartupException;
import dev.fovea.workers.runtime.ModelLoadException;

import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns the failures a user can fix (bad config, missing model, unreachable broker or registry,
 * missing file) into one line on stderr and exit code 2; anything else is a bug and shows its stack
 * trace (exit code 1). With JSON logs ({@code FOVEA_LOG_FORMAT=json}) the line is a JSON log line.
 */
final class Errors implements IExecutionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(Fovea.class);

    static final int USER_ERROR = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) {
        String line = "fovea " + command.getCommandName() + ": " + e.getMessage();
        boolean userError = isUserError(e);
        if (Logging.jsonLines()) {
            // A log pipeline reading JSON lines gets this one as JSON too, at ERROR.
            if (userError) {
                log.error(line);
            } else {
                log.error(line, e);
            }
        } else if (userError) {
            command.getErr().println(line);
        } else {
            e.printStackTrace(command.getErr());
        }
        return userError ? USER_ERROR : 1;
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
