package dev.fovea.workers.runtime;

import org.bytedeco.javacpp.BytePointer;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;
import org.tensorflow.types.TFloat32;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A {@link FloatBuffer} over a tensor's own native memory, so pixels are written straight into the
 * tensor TensorFlow will read: no float[] in between and no copy of the whole input per image.
 */
final class TensorViews {
    private TensorViews() {}

    /** The view is valid only while {@code tensor} is open. */
    static FloatBuffer floats(TFloat32 tensor) {
        return tensor.asRawTensor()
                .data()
                .accept(
                        new DataStorageVisitor<FloatBuffer>() {
                            @Override
                            public FloatBuffer visit(long address, long length, long scale) {
                                // TF Java exposes host tensors as raw memory; JavaCPP's pointer
                                // turns that into a
                                // direct NIO buffer without copying.
                                ByteBuffer bytes = new NativeBytes(address, length).asByteBuffer();
                                return bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
                            }

                            @Override
                            public FloatBuffer visit(ByteBuffer buffer) {
                                return buffer.order(ByteOrder.nativeOrder()).asFloatBuffer();
                            }

                            @Override
                            public FloatBuffer fallback() {
                                throw new IllegalStateException(
                                        "tensor memory is not directly addressable");
                            }
                        });
    }

    private static final class NativeBytes extends BytePointer {
        NativeBytes(long address, long length) {
            this.address = address;
            this.limit = length;
            this.capacity = length;
        }
    }
}
