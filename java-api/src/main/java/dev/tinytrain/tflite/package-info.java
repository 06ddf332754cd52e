/**
 * TF-Lite's flatbuffer model format ({@code .tflite}), written with the flatbuffers Java runtime by
 * building the schema's tables directly (no generated code): {@link dev.tinytrain.tflite.TfliteModelBuilder}.
 */
package dev.tinytrain.tflite;
