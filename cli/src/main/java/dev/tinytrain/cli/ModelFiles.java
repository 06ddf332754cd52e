package dev.tinytrain.cli;

import dev.tinytrain.tflite.ImportedModel;
import dev.tinytrain.tflite.TfliteImporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the files the model commands take, with errors that name the file. */
final class ModelFiles {

    private ModelFiles() {
    }

    /** Imports a {@code .tflite} model; a missing or unreadable file is an error naming it. */
    static ImportedModel model(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a directory, not a .tflite model");
        }
        try {
            return TfliteImporter.read(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model file " + file + ": " + e.getMessage());
        }
    }

    /** All bytes of an input file; a missing or unreadable file is an error naming it. */
    static byte[] bytes(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }
}
