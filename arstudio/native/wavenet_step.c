/* One step of Fast WaveNet generation for a batch of streams (see arstudio/models/wavenet/native_stepper.py).
 *
 * Every matrix is stored [in][out], so each product is a run of contiguous "y += x_i * w_i" rows
 * that the compiler vectorises without reordering any sum. Each layer keeps a queue of its last
 * `dilation` inputs per stream; slot t % dilation holds the input of step t - dilation (zeros
 * before that: the causal padding). A conditional model's label term, a constant per layer and stream, comes
 * in as `conditions` [batch][layers][2 * dilation_channels] and joins the dilated bias (NULL: none).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int32_t residual, dilation_channels, skip, hidden, levels, layers;
    const int32_t *dilations;      /* [layers] */
    const float *input_present;    /* [levels + 1][residual]: input conv's present tap (+ bias); row `levels` is the start vector */
    const float *input_past;       /* [levels + 1][residual]: its past tap */
    const float *dilated_present;  /* [layers][residual][2 * dilation_channels] */
    const float *dilated_past;     /* [layers][residual][2 * dilation_channels] */
    const float *dilated_bias;     /* [layers][2 * dilation_channels] */
    const float *residual_weight;  /* [layers][dilation_channels][residual] */
    const float *residual_bias;    /* [layers][residual] */
    const float *skip_weight;      /* [layers][dilation_channels][skip] */
    const float *skip_bias;        /* [skip]: every layer's skip bias, summed */
    const float *hidden_weight;    /* [skip][hidden] */
    const float *hidden_bias;      /* [hidden] */
    const float *out_weight;       /* [hidden][levels] */
    const float *out_bias;         /* [levels] */
} Net;

static void add_product(float *restrict y, const float *restrict x, const float *restrict w, int n_in, int n_out) {
    for (int i = 0; i < n_in; ++i) {
        const float xi = x[i];
        const float *restrict row = w + (int64_t)i * n_out;
        for (int j = 0; j < n_out; ++j) y[j] += xi * row[j];
    }
}

static void relu(float *x, int n) {
    for (int i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* scratch: residual + 2 * dilation_channels + skip + hidden floats. */
static int32_t step_one(const Net *net, int64_t t, const int64_t *seq, float *queues, const float *conditions,
                        float *scratch, float *logits) {
    const int R = net->residual, D = net->dilation_channels, S = net->skip, H = net->hidden, K = net->levels;
    float *h = scratch, *z = h + R, *skip = z + 2 * D, *hidden = skip + S;

    const int64_t now = t == 0 ? K : seq[t - 1], before = t <= 1 ? K : seq[t - 2];
    if ((t >= 1 && (now < 0 || now >= K)) || (t >= 2 && (before < 0 || before >= K))) return -1;
    memcpy(h, net->input_present + now * R, sizeof(float) * R);
    if (t >= 1) {
        const float *past = net->input_past + before * R;
        for (int i = 0; i < R; ++i) h[i] += past[i];
    }
    memcpy(skip, net->skip_bias, sizeof(float) * S);

    float *queue = queues;
    for (int l = 0; l < net->layers; ++l) {
        const int d = net->dilations[l];
        float *slot = queue + (t % d) * R;
        memcpy(z, net->dilated_bias + (int64_t)l * 2 * D, sizeof(float) * 2 * D);
        if (conditions) {
            const float *term = conditions + (int64_t)l * 2 * D;
            for (int j = 0; j < 2 * D; ++j) z[j] += term[j];
        }
        add_product(z, h, net->dilated_present + (int64_t)l * R * 2 * D, R, 2 * D);
        add_product(z, slot, net->dilated_past + (int64_t)l * R * 2 * D, R, 2 * D);
        memcpy(slot, h, sizeof(float) * R);
        for (int j = 0; j < D; ++j) z[j] = tanhf(z[j]) / (1.0f + expf(-z[D + j]));
        const float *bias = net->residual_bias + (int64_t)l * R;
        for (int i = 0; i < R; ++i) h[i] += bias[i];
        add_product(h, z, net->residual_weight + (int64_t)l * D * R, D, R);
        add_product(skip, z, net->skip_weight + (int64_t)l * D * S, D, S);
        queue += (int64_t)d * R;
    }

    relu(skip, S);
    memcpy(hidden, net->hidden_bias, sizeof(float) * H);
    add_product(hidden, skip, net->hidden_weight, S, H);
    relu(hidden, H);
    memcpy(logits, net->out_bias, sizeof(float) * K);
    add_product(logits, hidden, net->out_weight, H, K);
    return 0;
}

/* Step t for `batch` streams: seq [batch][seq_stride] (steps before t are known), queues
 * [batch][queue_stride], conditions [batch][condition_stride] or NULL, logits [batch][levels].
 * Returns -1, having changed nothing in that stream, when a stream holds a value outside
 * 0..levels-1 before step t; else 0. */
int32_t wavenet_step(const Net *net, int32_t batch, int64_t t, const int64_t *seq, int64_t seq_stride,
                     float *queues, int64_t queue_stride, const float *conditions, int64_t condition_stride,
                     float *scratch, float *logits) {
    for (int32_t b = 0; b < batch; ++b)
        if (step_one(net, t, seq + b * seq_stride, queues + b * queue_stride,
                     conditions ? conditions + b * condition_stride : NULL, scratch,
                     logits + (int64_t)b * net->levels) != 0)
            return -1;
    return 0;
}
