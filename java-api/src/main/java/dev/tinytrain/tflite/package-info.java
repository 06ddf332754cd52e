/**
 * TF-Lite's flatbuffer model format ({@code .tflite}), read and written with the flatbuffers Java runtime
 * and the schema's field slots written out by hand (no generated code): {@link dev.tinytrain.tflite.TfliteModelBuilder}
 * writes tables, {@link dev.tinytrain.tflite.TfliteExporter} writes a tinytrain graph as an int8 model and
 * {@link dev.tinytrain.tflite.TfliteImporter} reads one back (every offset checked before it is read).
 */
package dev.tinytrain.tflite;
