package dev.tinytrain.tflite;

/**
 * Field slots and enum values of TF-Lite's flatbuffer schema ({@code tensorflow/lite/schema/schema.fbs},
 * schema version 3), written out by hand: a slot is the field's position in its table's declaration
 * (the vtable index {@link com.google.flatbuffers.FlatBufferBuilder} takes). A union field occupies two
 * slots, its type byte then its value. Only what tinytrain reads and writes is named here.
 */
final class TfliteSchema {

    private TfliteSchema() {
    }

    /** The 4-byte file identifier after the root offset. */
    static final String FILE_IDENTIFIER = "TFL3";

    /** {@code Model.version}: the schema version we write. */
    static final int SCHEMA_VERSION = 3;

    /** {@code table Model}. */
    static final class Model {
        static final int VERSION = 0;            // version:uint
        static final int OPERATOR_CODES = 1;     // operator_codes:[OperatorCode]
        static final int SUBGRAPHS = 2;          // subgraphs:[SubGraph]
        static final int DESCRIPTION = 3;        // description:string
        static final int BUFFERS = 4;            // buffers:[Buffer]
        static final int METADATA_BUFFER = 5;    // metadata_buffer:[int]
        static final int METADATA = 6;           // metadata:[Metadata]
        static final int SIGNATURE_DEFS = 7;     // signature_defs:[SignatureDef]
        static final int FIELD_COUNT = 8;

        private Model() {
        }
    }

    /** {@code table SubGraph}. */
    static final class SubGraph {
        static final int TENSORS = 0;            // tensors:[Tensor]
        static final int INPUTS = 1;             // inputs:[int]
        static final int OUTPUTS = 2;            // outputs:[int]
        static final int OPERATORS = 3;          // operators:[Operator]
        static final int NAME = 4;               // name:string
        static final int FIELD_COUNT = 5;

        private SubGraph() {
        }
    }

    /** {@code table Tensor}. */
    static final class Tensor {
        static final int SHAPE = 0;              // shape:[int]
        static final int TYPE = 1;               // type:TensorType (byte)
        static final int BUFFER = 2;             // buffer:uint
        static final int NAME = 3;               // name:string
        static final int QUANTIZATION = 4;       // quantization:QuantizationParameters
        static final int IS_VARIABLE = 5;        // is_variable:bool
        static final int SPARSITY = 6;           // sparsity:SparsityParameters
        static final int SHAPE_SIGNATURE = 7;    // shape_signature:[int]
        static final int HAS_RANK = 8;           // has_rank:bool
        static final int VARIANT_TENSORS = 9;    // variant_tensors:[VariantSubType]
        static final int FIELD_COUNT = 10;

        private Tensor() {
        }
    }

    /** {@code table QuantizationParameters}. */
    static final class QuantizationParameters {
        static final int MIN = 0;                // min:[float]
        static final int MAX = 1;                // max:[float]
        static final int SCALE = 2;              // scale:[float]
        static final int ZERO_POINT = 3;         // zero_point:[long]
        static final int DETAILS_TYPE = 4;       // details:QuantizationDetails (union type byte)
        static final int DETAILS = 5;            // details:QuantizationDetails (union value)
        static final int QUANTIZED_DIMENSION = 6; // quantized_dimension:int
        static final int FIELD_COUNT = 7;

        private QuantizationParameters() {
        }
    }

    /** {@code table Buffer}. */
    static final class Buffer {
        static final int DATA = 0;               // data:[ubyte] (force_align: 16)
        static final int OFFSET = 1;             // offset:ulong (models over 2 GB)
        static final int SIZE = 2;               // size:ulong
        static final int FIELD_COUNT = 3;
        /** The alignment schema.fbs forces on {@code data}. */
        static final int DATA_ALIGNMENT = 16;

        private Buffer() {
        }
    }

    /** {@code table OperatorCode}. */
    static final class OperatorCode {
        static final int DEPRECATED_BUILTIN_CODE = 0; // deprecated_builtin_code:byte
        static final int CUSTOM_CODE = 1;        // custom_code:string
        static final int VERSION = 2;            // version:int = 1
        static final int BUILTIN_CODE = 3;       // builtin_code:BuiltinOperator (int)
        static final int FIELD_COUNT = 4;
        /** {@code BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES}: the deprecated byte saturates here. */
        static final int PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

        private OperatorCode() {
        }
    }

    /** {@code table Operator}. */
    static final class Operator {
        static final int OPCODE_INDEX = 0;       // opcode_index:uint
        static final int INPUTS = 1;             // inputs:[int]
        static final int OUTPUTS = 2;            // outputs:[int]
        static final int BUILTIN_OPTIONS_TYPE = 3; // builtin_options:BuiltinOptions (union type byte)
        static final int BUILTIN_OPTIONS = 4;    // builtin_options:BuiltinOptions (union value)
        static final int CUSTOM_OPTIONS = 5;     // custom_options:[ubyte]
        static final int CUSTOM_OPTIONS_FORMAT = 6; // custom_options_format:CustomOptionsFormat
        static final int MUTATING_VARIABLE_INPUTS = 7; // mutating_variable_inputs:[bool]
        static final int INTERMEDIATES = 8;      // intermediates:[int]
        static final int FIELD_COUNT = 9;

        private Operator() {
        }
    }

    /** Member indices of {@code union BuiltinOptions} (0 is NONE). */
    static final class BuiltinOptionsType {
        static final byte NONE = 0;
        static final byte CONV_2D_OPTIONS = 1;           // Conv2DOptions
        static final byte DEPTHWISE_CONV_2D_OPTIONS = 2; // DepthwiseConv2DOptions
        static final byte POOL_2D_OPTIONS = 5;           // Pool2DOptions
        static final byte FULLY_CONNECTED_OPTIONS = 8;   // FullyConnectedOptions
        static final byte ADD_OPTIONS = 11;              // AddOptions
        static final byte RESHAPE_OPTIONS = 17;          // ReshapeOptions
        static final byte PAD_OPTIONS = 22;              // PadOptions
        static final byte REDUCER_OPTIONS = 27;          // ReducerOptions

        private BuiltinOptionsType() {
        }
    }

    /** {@code table Conv2DOptions}. */
    static final class Conv2DOptions {
        static final int PADDING = 0;            // padding:Padding (byte)
        static final int STRIDE_W = 1;           // stride_w:int
        static final int STRIDE_H = 2;           // stride_h:int
        static final int FUSED_ACTIVATION_FUNCTION = 3; // fused_activation_function:ActivationFunctionType
        static final int DILATION_W_FACTOR = 4;  // dilation_w_factor:int = 1
        static final int DILATION_H_FACTOR = 5;  // dilation_h_factor:int = 1
        static final int QUANTIZED_BIAS_TYPE = 6; // quantized_bias_type:TensorType
        static final int FIELD_COUNT = 7;

        private Conv2DOptions() {
        }
    }

    /** {@code table DepthwiseConv2DOptions}. */
    static final class DepthwiseConv2DOptions {
        static final int PADDING = 0;            // padding:Padding
        static final int STRIDE_W = 1;           // stride_w:int
        static final int STRIDE_H = 2;           // stride_h:int
        static final int DEPTH_MULTIPLIER = 3;   // depth_multiplier:int
        static final int FUSED_ACTIVATION_FUNCTION = 4; // fused_activation_function:ActivationFunctionType
        static final int DILATION_W_FACTOR = 5;  // dilation_w_factor:int = 1
        static final int DILATION_H_FACTOR = 6;  // dilation_h_factor:int = 1
        static final int FIELD_COUNT = 7;

        private DepthwiseConv2DOptions() {
        }
    }

    /** {@code table Pool2DOptions}. */
    static final class Pool2DOptions {
        static final int PADDING = 0;            // padding:Padding
        static final int STRIDE_W = 1;           // stride_w:int
        static final int STRIDE_H = 2;           // stride_h:int
        static final int FILTER_WIDTH = 3;       // filter_width:int
        static final int FILTER_HEIGHT = 4;      // filter_height:int
        static final int FUSED_ACTIVATION_FUNCTION = 5; // fused_activation_function:ActivationFunctionType
        static final int FIELD_COUNT = 6;

        private Pool2DOptions() {
        }
    }

    /** {@code table FullyConnectedOptions}. */
    static final class FullyConnectedOptions {
        static final int FUSED_ACTIVATION_FUNCTION = 0; // fused_activation_function:ActivationFunctionType
        static final int WEIGHTS_FORMAT = 1;     // weights_format:FullyConnectedOptionsWeightsFormat = DEFAULT
        static final int KEEP_NUM_DIMS = 2;      // keep_num_dims:bool
        static final int ASYMMETRIC_QUANTIZE_INPUTS = 3; // asymmetric_quantize_inputs:bool
        static final int QUANTIZED_BIAS_TYPE = 4; // quantized_bias_type:TensorType
        static final int FIELD_COUNT = 5;

        private FullyConnectedOptions() {
        }
    }

    /** {@code table AddOptions}. */
    static final class AddOptions {
        static final int FUSED_ACTIVATION_FUNCTION = 0; // fused_activation_function:ActivationFunctionType
        static final int POT_SCALE_INT16 = 1;    // pot_scale_int16:bool = true
        static final int FIELD_COUNT = 2;

        private AddOptions() {
        }
    }

    /** {@code table ReshapeOptions}. */
    static final class ReshapeOptions {
        static final int NEW_SHAPE = 0;          // new_shape:[int]
        static final int FIELD_COUNT = 1;

        private ReshapeOptions() {
        }
    }

    /** {@code table ReducerOptions}. */
    static final class ReducerOptions {
        static final int KEEP_DIMS = 0;          // keep_dims:bool
        static final int FIELD_COUNT = 1;

        private ReducerOptions() {
        }
    }
}
