package dev.tinytrain.fp32;

import dev.tinytrain.data.Sample;
import dev.tinytrain.data.SyntheticDataset;
import dev.tinytrain.ffm.NativeBackend;
import dev.tinytrain.ffm.NativeFp32Backend;
import dev.tinytrain.graph.Graph;
import dev.tinytrain.models.NetBuilder;
import dev.tinytrain.runtime.ForwardInterpreter;
import dev.tinytrain.tensor.Quantization;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path from a float model to int8 on the native kernels, in a few seconds: pretrain mcunet-5fps
 * at 32x32 on synthetic:4, quantize with calibration, and run the int8 graph through the forward
 * interpreter on the native int8 kernels.
 */
class PretrainQuantizeEndToEndTest {

    @Test
    void floatTrainingLearnsAndInt8KeepsTheAccuracy() {
        int res = 32;
        Quantization in = Quantization.perTensor(NetBuilder.INPUT_SCALE, NetBuilder.INPUT_ZERO_POINT);
        int[] shape = {1, res, res, 3};
        SyntheticDataset train = new SyntheticDataset(4, 1536, shape, in, 7, 0);
        SyntheticDataset test = new SyntheticDataset(4, 400, shape, in, 7, 1);
        FloatNet net = FloatNet.create("mcunet-5fps", res, 3, 4, 7);
        Fp32Backend fp = new NativeFp32Backend();
        FloatTrainConfig cfg = FloatTrainConfig.defaults(3, 7).withWarmup(20);
        double floatAcc;
        try (FloatTrainer t = new FloatTrainer(net, fp, cfg)) {
            t.fit(train, null, 0, null, null);
            floatAcc = t.accuracy(test, 0);
        }
        assertTrue(floatAcc > 0.8, "float accuracy " + floatAcc + " (chance 0.25)");

        Graph g = Quantizer.quantize(net, train, 256, new Quantizer.MinMax(), fp).toGraph();
        ForwardInterpreter fi = new ForwardInterpreter(g, new NativeBackend());
        int ok = 0;
        for (int i = 0; i < test.size(); i++) {
            Sample s = test.get(i);
            byte[] logits = fi.run(s.image());
            int best = 0;
            for (int k = 1; k < logits.length; k++) {
                if (logits[k] > logits[best]) {
                    best = k;
                }
            }
            ok += best == s.label() ? 1 : 0;
        }
        double int8Acc = ok / (double) test.size();
        assertTrue(int8Acc >= floatAcc - 0.03, "int8 accuracy " + int8Acc + " vs float " + floatAcc);
    }
}
