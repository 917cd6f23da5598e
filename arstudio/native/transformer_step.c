/* One cached decoding step of the Transformer for a batch of streams (see arstudio/models/transformer_native.py).
 *
 * The arithmetic of Transformer.forward_tokens for one new token per stream, reading and extending the
 * model's KVCache tensor in place ([layers][2][batch][heads][capacity][head_dim], float32, contiguous), so a
 * cache filled by PyTorch (the prefill after a window shift) continues here and the other way round.
 * Every matrix is stored [in][out]; a product walks the weight rows once for the whole batch, so each row
 * is read from memory once per step and reused by every stream while it sits in L1.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int32_t width, heads, hidden, levels, layers, context;
    float eps;
    const float *embed;       /* [levels + 1][width]: row `levels` is the start token */
    const float *position;    /* [context][width] learned positions, or NULL */
    const float *rotary_cos;  /* [context][head_dim / 2], or NULL (learned positions) */
    const float *rotary_sin;
    const float *ln1_weight, *ln1_bias;   /* [layers][width] */
    const float *qkv_weight, *qkv_bias;   /* [layers][width][3 * width], [layers][3 * width] */
    const float *proj_weight, *proj_bias; /* [layers][width][width], [layers][width] */
    const float *ln2_weight, *ln2_bias;   /* [layers][width] */
    const float *fc_weight, *fc_bias;     /* [layers][width][hidden], [layers][hidden] */
    const float *out_weight, *out_bias;   /* [layers][hidden][width], [layers][width] */
    const float *lnf_weight, *lnf_bias;   /* [width] */
    const float *head_weight, *head_bias; /* [width][levels], [levels] */
} Net;

/* y[b] = bias + x[b] @ w for every stream b: x [batch][n_in], w [n_in][n_out], y [batch][n_out]. Four weight rows
 * at a time, so y is loaded and stored once per four inputs. */
static void product(float *restrict y, const float *restrict x, const float *restrict w, const float *restrict bias,
                    int batch, int n_in, int n_out) {
    for (int b = 0; b < batch; ++b) memcpy(y + (int64_t)b * n_out, bias, sizeof(float) * n_out);
    int i = 0;
    for (; i + 4 <= n_in; i += 4) {
        const float *restrict r0 = w + (int64_t)i * n_out, *restrict r1 = r0 + n_out;
        const float *restrict r2 = r1 + n_out, *restrict r3 = r2 + n_out;
        for (int b = 0; b < batch; ++b) {
            const float *xb = x + (int64_t)b * n_in + i;
            const float x0 = xb[0], x1 = xb[1], x2 = xb[2], x3 = xb[3];
            float *restrict yb = y + (int64_t)b * n_out;
            for (int j = 0; j < n_out; ++j) yb[j] += (x0 * r0[j] + x1 * r1[j]) + (x2 * r2[j] + x3 * r3[j]);
        }
    }
    for (; i < n_in; ++i) {
        const float *restrict row = w + (int64_t)i * n_out;
        for (int b = 0; b < batch; ++b) {
            const float xi = x[(int64_t)b * n_in + i];
            float *restrict yb = y + (int64_t)b * n_out;
            for (int j = 0; j < n_out; ++j) yb[j] += xi * row[j];
        }
    }
}

static void layer_norm(float *restrict y, const float *restrict x, const float *restrict weight,
                       const float *restrict bias, int batch, int n, float eps) {
    for (int b = 0; b < batch; ++b) {
        const float *xb = x + (int64_t)b * n;
        float *yb = y + (int64_t)b * n;
        float mean = 0.0f, var = 0.0f;
        for (int i = 0; i < n; ++i) mean += xb[i];
        mean /= (float)n;
        for (int i = 0; i < n; ++i) var += (xb[i] - mean) * (xb[i] - mean);
        const float scale = 1.0f / sqrtf(var / (float)n + eps);
        for (int i = 0; i < n; ++i) yb[i] = (xb[i] - mean) * scale * weight[i] + bias[i];
    }
}

/* Rotate the pairs (2i, 2i + 1) of every head of x [width] by the angles of one position. */
static void rotate(float *x, const float *cos, const float *sin, int heads, int head_dim) {
    for (int h = 0; h < heads; ++h) {
        float *xh = x + h * head_dim;
        for (int i = 0; i < head_dim / 2; ++i) {
            const float a = xh[2 * i], b = xh[2 * i + 1];
            xh[2 * i] = a * cos[i] - b * sin[i];
            xh[2 * i + 1] = a * sin[i] + b * cos[i];
        }
    }
}

/* q . k in eight running sums, so the compiler can keep them in vector registers (a single sum is a chain of
 * dependent additions that runs at one per four cycles). */
static float dot(const float *restrict q, const float *restrict k, int n) {
    float sums[8] = {0};
    int d = 0;
    for (; d + 8 <= n; d += 8)
        for (int r = 0; r < 8; ++r) sums[r] += q[d + r] * k[d + r];
    float s = ((sums[0] + sums[4]) + (sums[1] + sums[5])) + ((sums[2] + sums[6]) + (sums[3] + sums[7]));
    for (; d < n; ++d) s += q[d] * k[d];
    return s;
}

/* One query of one head against the cached keys 0..count-1: out [head_dim] = softmax(q.K / sqrt(d)) V. */
static void attend(float *restrict out, const float *restrict q, const float *restrict keys,
                   const float *restrict values, float *restrict scores, int count, int head_dim) {
    const float scale = 1.0f / sqrtf((float)head_dim);
    float top = -INFINITY;
    for (int j = 0; j < count; ++j) {
        scores[j] = dot(q, keys + (int64_t)j * head_dim, head_dim) * scale;
        if (scores[j] > top) top = scores[j];
    }
    float total = 0.0f;
    for (int j = 0; j < count; ++j) {
        scores[j] = expf(scores[j] - top);
        total += scores[j];
    }
    memset(out, 0, sizeof(float) * head_dim);
    for (int j = 0; j < count; ++j) {
        const float p = scores[j] / total;
        const float *v = values + (int64_t)j * head_dim;
        for (int d = 0; d < head_dim; ++d) out[d] += p * v[d];
    }
}

/* tokens [batch] at window position `position` (0 = the start token's place); cache as above with room for
 * `capacity` positions; scratch: batch * (7 * width + hidden) + capacity floats; logits [batch][levels].
 * Returns -1 (nothing written) when a token lies outside 0..levels or the position outside the context and
 * the cache; else 0. */
int32_t transformer_step(const Net *net, int32_t batch, const int64_t *tokens, int32_t position, float *cache,
                         int32_t capacity, float *scratch, float *logits) {
    const int W = net->width, H = net->heads, F = net->hidden, K = net->levels, hd = W / H;
    if (position < 0 || position >= capacity || position >= net->context) return -1;
    for (int b = 0; b < batch; ++b)
        if (tokens[b] < 0 || tokens[b] > K) return -1;
    float *h = scratch, *x = h + (int64_t)batch * W, *qkv = x + (int64_t)batch * W;
    float *att = qkv + (int64_t)batch * 3 * W, *u = att + (int64_t)batch * W, *scores = u + (int64_t)batch * F;

    for (int b = 0; b < batch; ++b) {
        memcpy(h + (int64_t)b * W, net->embed + tokens[b] * W, sizeof(float) * W);
        if (net->position) {
            const float *p = net->position + (int64_t)position * W;
            for (int i = 0; i < W; ++i) h[(int64_t)b * W + i] += p[i];
        }
    }
    const int64_t head_stride = (int64_t)capacity * hd, batch_stride = H * head_stride;
    const int64_t part_stride = batch * batch_stride;
    for (int l = 0; l < net->layers; ++l) {
        float *keys = cache + (int64_t)l * 2 * part_stride, *values = keys + part_stride;
        layer_norm(x, h, net->ln1_weight + (int64_t)l * W, net->ln1_bias + (int64_t)l * W, batch, W, net->eps);
        product(qkv, x, net->qkv_weight + (int64_t)l * W * 3 * W, net->qkv_bias + (int64_t)l * 3 * W, batch, W,
                3 * W);
        for (int b = 0; b < batch; ++b) {
            float *q = qkv + (int64_t)b * 3 * W, *k = q + W, *v = k + W;
            if (net->rotary_cos) {
                const float *cos = net->rotary_cos + (int64_t)position * (hd / 2);
                const float *sin = net->rotary_sin + (int64_t)position * (hd / 2);
                rotate(q, cos, sin, H, hd);
                rotate(k, cos, sin, H, hd);
            }
            for (int head = 0; head < H; ++head) {
                const int64_t at = b * batch_stride + head * head_stride;
                memcpy(keys + at + (int64_t)position * hd, k + head * hd, sizeof(float) * hd);
                memcpy(values + at + (int64_t)position * hd, v + head * hd, sizeof(float) * hd);
                attend(att + (int64_t)b * W + head * hd, q + head * hd, keys + at, values + at, scores, position + 1,
                       hd);
            }
        }
        product(x, att, net->proj_weight + (int64_t)l * W * W, net->proj_bias + (int64_t)l * W, batch, W, W);
        for (int64_t i = 0; i < (int64_t)batch * W; ++i) h[i] += x[i];
        layer_norm(x, h, net->ln2_weight + (int64_t)l * W, net->ln2_bias + (int64_t)l * W, batch, W, net->eps);
        product(u, x, net->fc_weight + (int64_t)l * W * F, net->fc_bias + (int64_t)l * F, batch, W, F);
        for (int64_t i = 0; i < (int64_t)batch * F; ++i) u[i] = 0.5f * u[i] * (1.0f + erff(u[i] * 0.70710678118654752f));
        product(x, u, net->out_weight + (int64_t)l * F * W, net->out_bias + (int64_t)l * W, batch, F, W);
        for (int64_t i = 0; i < (int64_t)batch * W; ++i) h[i] += x[i];
    }
    layer_norm(x, h, net->lnf_weight, net->lnf_bias, batch, W, net->eps);
    product(logits, x, net->head_weight, net->head_bias, batch, W, K);
    return 0;
}
