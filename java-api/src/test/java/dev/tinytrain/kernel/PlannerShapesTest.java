package dev.tinytrain.kernel;

import dev.tinytrain.tensor.Dims;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape rules of the memory-saving kernels that a planner uses without running them: the
 * intermediate of a fused conv + depthwise, its scratch, and the layout of an in-place pointwise conv.
 * Expected values worked out by hand from the window rule (Windows) in the comments.
 */
class PlannerShapesTest {

    private static ConvParams conv(int stride, int pad) {
        return new ConvParams(0, 0, stride, stride, pad, pad, Activation.NONE);
    }

    @Test
    void intermediateOfAPointwiseExpansionIsItsInput() {
        // MobileNetV2 block 1: 64x64x8 -> 1x1 x6 -> 3x3 stride 2 (TF SAME on an even size: pad 0) -> 32x32
        Dims mid = KernelChecks.convDepthwiseIntermediate(Dims.of(1, 64, 64, 8), Dims.of(48, 1, 1, 8), conv(1, 0),
                Dims.of(1, 3, 3, 48), conv(2, 0), Dims.of(1, 32, 32, 48));
        assertEquals(Dims.of(1, 64, 64, 48), mid);
        // a strided 1x1 conv also has exactly one output size: ceil(9 / 2) = 5
        assertEquals(Dims.of(2, 5, 5, 6), KernelChecks.convDepthwiseIntermediate(Dims.of(2, 9, 9, 3),
                Dims.of(6, 1, 1, 3), conv(2, 0), Dims.of(1, 3, 3, 6), conv(1, 1), Dims.of(2, 5, 5, 6)));
    }

    @Test
    void intermediateOfAKxkConvWhenTheDepthwiseDecides() {
        // first conv 3x3 stride 2 pad 0 on 128: 63 or 64 fit; a VALID 3x3 depthwise to 61 needs 63 (64 gives >= 62)
        assertEquals(Dims.of(1, 63, 63, 16), KernelChecks.convDepthwiseIntermediate(Dims.of(1, 128, 128, 3),
                Dims.of(16, 3, 3, 3), conv(2, 0), Dims.of(1, 3, 3, 16), conv(1, 0), Dims.of(1, 61, 61, 16)));
        // ... but a pad-1 depthwise to 64 accepts both (63 + 1 pad row reaches 64 windows): the caller must choose
        KernelArgumentException e = assertThrows(KernelArgumentException.class,
                () -> KernelChecks.convDepthwiseIntermediate(Dims.of(1, 128, 128, 3), Dims.of(16, 3, 3, 3),
                        conv(2, 0), Dims.of(1, 3, 3, 16), conv(1, 1), Dims.of(1, 64, 64, 16)));
        assertTrue(e.getMessage().contains("several: [63, 64]"), e.getMessage());
        // VALID 3x3 on 10: 8, 9 or 10 fit; a VALID 3x3 depthwise to 6 needs exactly 8
        assertEquals(Dims.of(1, 8, 8, 4), KernelChecks.convDepthwiseIntermediate(Dims.of(1, 10, 10, 2),
                Dims.of(4, 3, 3, 2), conv(1, 0), Dims.of(1, 3, 3, 4), conv(1, 0), Dims.of(1, 6, 6, 4)));
    }

    @Test
    void ambiguousOrImpossibleIntermediatesAreNamed() {
        // 3x3 pad 1 on 4: 3, 4 or 5 fit; a 3x3 pad-1 depthwise to 4 accepts 3, 4 and 5 as well
        KernelArgumentException e = assertThrows(KernelArgumentException.class,
                () -> KernelChecks.convDepthwiseIntermediate(Dims.of(1, 4, 4, 8), Dims.of(16, 3, 3, 8), conv(1, 1),
                        Dims.of(1, 3, 3, 16), conv(1, 1), Dims.of(1, 4, 4, 16)));
        assertEquals("intermediate dims.h", e.argument());
        assertTrue(e.getMessage().contains("several: [3, 4, 5]") && e.getMessage().contains("explicitly"),
                e.getMessage());
        // a 1x1 conv keeps 4; a VALID 3x3 depthwise of 4 gives 2, never 5
        e = assertThrows(KernelArgumentException.class,
                () -> KernelChecks.convDepthwiseIntermediate(Dims.of(1, 4, 4, 8), Dims.of(16, 1, 1, 8), conv(1, 0),
                        Dims.of(1, 3, 3, 16), conv(1, 0), Dims.of(1, 5, 2, 16)));
        assertEquals("intermediate dims.h", e.argument());
        assertTrue(e.getMessage().contains("got none"), e.getMessage());
    }

    @Test
    void scratchOfTheFusedConv() {
        KernelBackend ref = new ReferenceBackend();
        assertEquals(64 * 64, ref.convDepthwiseScratchBytes(Dims.of(1, 64, 64, 48)));
        // from the conv alone: exact for 1x1 (64 x 64), the largest admitted size otherwise (3x3/2 pad 0 on 128: 64)
        assertEquals(64 * 64, ref.convDepthwiseScratchBytes(Dims.of(1, 64, 64, 8), Dims.of(48, 1, 1, 8), conv(1, 0)));
        assertEquals(64 * 64, KernelChecks.convDepthwiseScratchBytes(Dims.of(1, 128, 128, 3), Dims.of(16, 3, 3, 3),
                conv(2, 0)));
        // VALID 3x3 on 10x12 admits up to 10 x 12 (the depthwise may decide on 8 x 10)
        assertEquals(10 * 12, KernelChecks.convDepthwiseScratchBytes(Dims.of(1, 10, 12, 3), Dims.of(16, 3, 3, 3),
                conv(1, 0)));
    }

    @Test
    void inPlaceLayout() {
        Dims in = Dims.of(1, 64, 64, 8);
        Dims wide = Dims.of(1, 64, 64, 48);
        assertEquals(196_608, KernelChecks.conv2d1x1InPlaceRegionBytes(in, wide));
        assertEquals(196_608 - 32_768, KernelChecks.conv2d1x1InPlaceInputOffset(in, wide));
        Dims narrow = Dims.of(1, 64, 64, 3);
        assertEquals(32_768, KernelChecks.conv2d1x1InPlaceRegionBytes(in, narrow));
        assertEquals(0, KernelChecks.conv2d1x1InPlaceInputOffset(in, narrow));
        assertEquals(0, KernelChecks.conv2d1x1InPlaceInputOffset(in, in));
        assertEquals(8, new ReferenceBackend().conv2d1x1InPlaceScratchBytes(in));
    }
}
