package dev.fovea.ops.bench;

import dev.fovea.topology.image.ImageDecoder;
import dev.fovea.topology.image.ImageRejectedException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The encoded images every measurement of {@code ./fovea bench} works on, read into memory once:
 * the limit decodes exactly these bytes and the end-to-end runs produce exactly these bytes, so
 * both do the same work and neither reads a disk while it is timed.
 */
public final class Workload {

    /** One encoded image: its file name and its bytes (JPEG, PNG...). */
    public record Photo(String name, byte[] data) {}

    private final List<Photo> photos;

    private Workload(List<Photo> photos) {
        if (photos.isEmpty()) {
            throw new IllegalArgumentException("a workload needs at least one image");
        }
        this.photos = List.copyOf(photos);
    }

    public static Workload read(List<Path> files) throws IOException {
        List<Photo> photos = new ArrayList<>(files.size());
        for (Path file : files) {
            photos.add(new Photo(file.getFileName().toString(), Files.readAllBytes(file)));
        }
        return new Workload(photos);
    }

    /**
     * The images the worker classifies, leaving out with a line on {@code skipped} those it would
     * dead-letter: a run waits for a prediction of every image it sends, which such an image never
     * gets.
     *
     * @throws IllegalArgumentException when none is left
     */
    public Workload classifiable(ImageDecoder decoder, PrintStream skipped) {
        List<Photo> kept = new ArrayList<>(photos.size());
        for (Photo photo : photos) {
            try {
                decoder.decode(photo.data(), null);
                kept.add(photo);
            } catch (ImageRejectedException e) {
                skipped.println(
                        "bench: leaving out "
                                + photo.name()
                                + ", which the worker would dead-letter ("
                                + e.reason()
                                + ": "
                                + e.getMessage()
                                + ")");
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(
                    "none of the " + photos.size() + " images can be classified");
        }
        return new Workload(kept);
    }

    /** The number of distinct images. */
    public int size() {
        return photos.size();
    }

    /** Image {@code i} of an endless cycle over the images. */
    public Photo photo(int i) {
        return photos.get(Math.floorMod(i, photos.size()));
    }

    public List<Photo> photos() {
        return photos;
    }

    /** The mean size of one encoded image, in bytes. */
    public double meanBytes() {
        return photos.stream().mapToLong(p -> p.data().length).average().orElse(0);
    }
}
