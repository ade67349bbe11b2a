// The element-wise part of an LSTM step, both ways, over rows of one time step. PyTorch's gate
// order (i, f, g, o) and formulas; the nonlinearities go through ember_math_f32 (libmvec where it
// runs), as the composed ops' do. Results agree with the composed ops to rounding, not bit for bit:
// the AVX2 build contracts f·c + i·g (and the backward's products) into FMAs, and the bias is added
// before h·W_hhᵀ rather than after.
#include "EmberKernels.h"
#include "CPUDispatch.h"

EMBER_KERNEL_BODY void lstm_combine(const float *restrict gates, float *restrict c, float *restrict c_prev,
                                    float *restrict tanh_c, int64_t hidden) {
    const float *in = gates, *forget = gates + hidden, *cell = gates + 2 * hidden;
    for (int64_t j = 0; j < hidden; j++) {
        float previous = c[j];
        if (c_prev) c_prev[j] = previous;
        float next = forget[j] * previous + in[j] * cell[j];
        c[j] = next;
        tanh_c[j] = next;
    }
}

EMBER_KERNEL_BODY void lstm_output(const float *restrict out_gate, const float *restrict tanh_c, float *restrict h,
                                   float *restrict out, int64_t hidden) {
    for (int64_t j = 0; j < hidden; j++) {
        float value = out_gate[j] * tanh_c[j];
        h[j] = value;
        out[j] = value;
    }
}

EMBER_KERNEL_BODY void lstm_backward_row(float *restrict dgates, const float *restrict gates,
                                         const float *restrict c_prev, const float *restrict tanh_c,
                                         const float *restrict dh, const float *restrict dout, float *restrict dc,
                                         int64_t hidden) {
    const float *in = gates, *forget = gates + hidden, *cell = gates + 2 * hidden, *out_gate = gates + 3 * hidden;
    float *d_in = dgates, *d_forget = dgates + hidden, *d_cell = dgates + 2 * hidden, *d_out = dgates + 3 * hidden;
    for (int64_t j = 0; j < hidden; j++) {
        float grad_h = dh[j] + dout[j], t = tanh_c[j];
        float grad_c = dc[j] + grad_h * out_gate[j] * (1.0f - t * t);
        d_in[j] = grad_c * cell[j] * in[j] * (1.0f - in[j]);
        d_forget[j] = grad_c * c_prev[j] * forget[j] * (1.0f - forget[j]);
        d_cell[j] = grad_c * in[j] * (1.0f - cell[j] * cell[j]);
        d_out[j] = grad_h * t * out_gate[j] * (1.0f - out_gate[j]);
        dc[j] = grad_c * forget[j];
    }
}

#if EMBER_HAS_AVX2_FMA_BUILD
EMBER_AVX2_FMA void lstm_combine_avx2_fma(const float *gates, float *c, float *c_prev, float *tanh_c, int64_t hidden) {
    lstm_combine(gates, c, c_prev, tanh_c, hidden);
}
EMBER_AVX2_FMA void lstm_output_avx2_fma(const float *out_gate, const float *tanh_c, float *h, float *out,
                                         int64_t hidden) {
    lstm_output(out_gate, tanh_c, h, out, hidden);
}
EMBER_AVX2_FMA void lstm_backward_row_avx2_fma(float *dgates, const float *gates, const float *c_prev,
                                               const float *tanh_c, const float *dh, const float *dout, float *dc,
                                               int64_t hidden) {
    lstm_backward_row(dgates, gates, c_prev, tanh_c, dh, dout, dc, hidden);
}
#endif

void ember_lstm_cell_f32(float *gates, float *c, float *c_prev, float *tanh_c, float *h, float *out, int64_t rows,
                         int64_t hidden) {
    for (int64_t row = 0; row < rows; row++) {
        float *g = gates + row * 4 * hidden, *cr = c + row * hidden, *tc = tanh_c + row * hidden;
        float *cp = c_prev ? c_prev + row * hidden : 0;
        ember_math_f32(EMBER_MATH_SIGMOID, g, g, 2 * hidden);
        ember_math_f32(EMBER_MATH_TANH, g + 2 * hidden, g + 2 * hidden, hidden);
        ember_math_f32(EMBER_MATH_SIGMOID, g + 3 * hidden, g + 3 * hidden, hidden);
        EMBER_DISPATCH(lstm_combine_avx2_fma(g, cr, cp, tc, hidden), lstm_combine(g, cr, cp, tc, hidden));
        ember_math_f32(EMBER_MATH_TANH, tc, tc, hidden);
        float *hr = h + row * hidden, *outr = out + row * hidden;
        EMBER_DISPATCH(lstm_output_avx2_fma(g + 3 * hidden, tc, hr, outr, hidden),
                       lstm_output(g + 3 * hidden, tc, hr, outr, hidden));
    }
}

void ember_lstm_cell_backward_f32(float *dgates, const float *gates, const float *c_prev, const float *tanh_c,
                                  const float *dh, const float *dout, float *dc, int64_t rows, int64_t hidden) {
    for (int64_t row = 0; row < rows; row++) {
        int64_t g = row * 4 * hidden, s = row * hidden;
        EMBER_DISPATCH(lstm_backward_row_avx2_fma(dgates + g, gates + g, c_prev + s, tanh_c + s, dh + s, dout + s,
                                                  dc + s, hidden),
                       lstm_backward_row(dgates + g, gates + g, c_prev + s, tanh_c + s, dh + s, dout + s, dc + s,
                                         hidden));
    }
}

// GRU (PyTorch's gate order r, z, n): r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n),
// h' = n + z·(h − n), where x_* is the input's projection and h_* = W_h*·h + b_h*.
EMBER_KERNEL_BODY void gru_new_gate(const float *restrict projected, const float *restrict hidden_gates,
                                    float *restrict gates, int64_t hidden) {
    const float *reset = gates;
    for (int64_t j = 0; j < hidden; j++)
        gates[2 * hidden + j] = projected[2 * hidden + j] + reset[j] * hidden_gates[2 * hidden + j];
}

EMBER_KERNEL_BODY void gru_output(const float *restrict gates, float *restrict h, float *restrict out, int64_t hidden) {
    const float *update = gates + hidden, *candidate = gates + 2 * hidden;
    for (int64_t j = 0; j < hidden; j++) {
        float value = candidate[j] + update[j] * (h[j] - candidate[j]);
        h[j] = value;
        out[j] = value;
    }
}

EMBER_KERNEL_BODY void gru_backward_row(float *restrict d_projected, float *restrict d_hidden_gates,
                                        const float *restrict gates, const float *restrict hidden_gates,
                                        const float *restrict h_prev, float *restrict dh, const float *restrict dout,
                                        int64_t hidden) {
    const float *reset = gates, *update = gates + hidden, *candidate = gates + 2 * hidden;
    for (int64_t j = 0; j < hidden; j++) {
        float grad_h = dh[j] + dout[j];
        float grad_n = grad_h * (1.0f - update[j]) * (1.0f - candidate[j] * candidate[j]);
        float grad_r = grad_n * hidden_gates[2 * hidden + j] * reset[j] * (1.0f - reset[j]);
        float grad_z = grad_h * (h_prev[j] - candidate[j]) * update[j] * (1.0f - update[j]);
        d_projected[j] = grad_r;
        d_projected[hidden + j] = grad_z;
        d_projected[2 * hidden + j] = grad_n;
        d_hidden_gates[j] = grad_r;
        d_hidden_gates[hidden + j] = grad_z;
        d_hidden_gates[2 * hidden + j] = grad_n * reset[j];
        dh[j] = grad_h * update[j];
    }
}

#if EMBER_HAS_AVX2_FMA_BUILD
EMBER_AVX2_FMA void gru_new_gate_avx2_fma(const float *projected, const float *hidden_gates, float *gates,
                                          int64_t hidden) {
    gru_new_gate(projected, hidden_gates, gates, hidden);
}
EMBER_AVX2_FMA void gru_output_avx2_fma(const float *gates, float *h, float *out, int64_t hidden) {
    gru_output(gates, h, out, hidden);
}
EMBER_AVX2_FMA void gru_backward_row_avx2_fma(float *d_projected, float *d_hidden_gates, const float *gates,
                                              const float *hidden_gates, const float *h_prev, float *dh,
                                              const float *dout, int64_t hidden) {
    gru_backward_row(d_projected, d_hidden_gates, gates, hidden_gates, h_prev, dh, dout, hidden);
}
#endif

void ember_gru_cell_f32(const float *projected, const float *hidden_gates, float *gates, float *h, float *out,
                        int64_t rows, int64_t hidden) {
    for (int64_t row = 0; row < rows; row++) {
        const float *p = projected + row * 3 * hidden, *hg = hidden_gates + row * 3 * hidden;
        float *g = gates + row * 3 * hidden, *hr = h + row * hidden, *outr = out + row * hidden;
        for (int64_t j = 0; j < 2 * hidden; j++) g[j] = p[j] + hg[j];
        ember_math_f32(EMBER_MATH_SIGMOID, g, g, 2 * hidden);
        EMBER_DISPATCH(gru_new_gate_avx2_fma(p, hg, g, hidden), gru_new_gate(p, hg, g, hidden));
        ember_math_f32(EMBER_MATH_TANH, g + 2 * hidden, g + 2 * hidden, hidden);
        EMBER_DISPATCH(gru_output_avx2_fma(g, hr, outr, hidden), gru_output(g, hr, outr, hidden));
    }
}

void ember_gru_cell_backward_f32(float *d_projected, float *d_hidden_gates, const float *gates,
                                 const float *hidden_gates, const float *h_prev, float *dh, const float *dout,
                                 int64_t rows, int64_t hidden) {
    for (int64_t row = 0; row < rows; row++) {
        int64_t g = row * 3 * hidden, s = row * hidden;
        EMBER_DISPATCH(gru_backward_row_avx2_fma(d_projected + g, d_hidden_gates + g, gates + g, hidden_gates + g,
                                                 h_prev + s, dh + s, dout + s, hidden),
                       gru_backward_row(d_projected + g, d_hidden_gates + g, gates + g, hidden_gates + g, h_prev + s,
                                        dh + s, dout + s, hidden));
    }
}
