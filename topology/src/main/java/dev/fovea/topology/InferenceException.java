package dev.fovea.topology;

/** One image could not be classified; the worker carries on and dead-letters that image. */
public class InferenceException extends Exception {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
