package dev.fovea.workers;

/** The worker cannot start; the message says what is wrong and how to fix it, in one sentence. */
public class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
