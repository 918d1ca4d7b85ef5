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
import java.io.PrintWriter;
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
        boolean userError = isUserError(e);
        say(
                "fovea " + command.getCommandName() + ": " + e.getMessage(),
                userError ? null : e,
                command.getErr());
        return userError ? USER_ERROR : 1;
    }

    /**
     * One line for the user, and the stack trace of a bug: a JSON log line at ERROR when the log is
     * JSON (a log pipeline reads this one too), else plain text on {@code err}, as also when the
     * log is turned off: the line must reach somebody.
     */
    static void say(String line, Throwable bug, PrintWriter err) {
        if (Logging.jsonLines() && log.isErrorEnabled()) {
            log.error(line, bug);
            return;
        }
        err.println(line);
        if (bug != null) {
            bug.printStackTrace(err);
        }
        err.flush();
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
