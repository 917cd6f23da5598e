/* One cached decoding step of the Transformer for a batch of streams (see arstudio/models/transformer_native.py).
 *
 * The arithmetic of Transformer.forward_tokens for one new token per stream, reading and extending the
 * model's KVCache tensor in place ([layers][2][batch][heads][capacity][head_dim], float32, contiguous), so a
 * cache filled by PyTorch (the prefill after a window shift) continues here and the other way round.
 * Every matrix is stored [in][out]; a product walks the weight rows once for the whole batch, so each row
 * is read once per step and reused by every stream while it sits in L1.
 *
 * At batch 1 a step is bound by reading the weights (3.2 MB for the 0.8M-parameter default), more than one
 * core's L2 holds. With two threads each core takes half the columns of every product (and half the heads),
 * so each keeps its half of the weights in its own L2; the parts meet at a barrier after each phase.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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

/* y[b][lo:hi] = bias[lo:hi] + x[b] @ w[:, lo:hi] for every stream b: x [batch][n_in], w [n_in][n_out],
 * y [batch][n_out]. Four weight rows at a time, so y is loaded and stored once per four inputs. */
static void product(float *restrict y, const float *restrict x, const float *restrict w, const float *restrict bias,
                    int batch, int n_in, int n_out, int lo, int hi) {
    const int n = hi - lo;
    if (n <= 0) return;
    for (int b = 0; b < batch; ++b) memcpy(y + (int64_t)b * n_out + lo, bias + lo, sizeof(float) * n);
    int i = 0;
    for (; i + 4 <= n_in; i += 4) {
        const float *restrict r0 = w + (int64_t)i * n_out + lo, *restrict r1 = r0 + n_out;
        const float *restrict r2 = r1 + n_out, *restrict r3 = r2 + n_out;
        for (int b = 0; b < batch; ++b) {
            const float *xb = x + (int64_t)b * n_in + i;
            const float x0 = xb[0], x1 = xb[1], x2 = xb[2], x3 = xb[3];
            float *restrict yb = y + (int64_t)b * n_out + lo;
            for (int j = 0; j < n; ++j) yb[j] += (x0 * r0[j] + x1 * r1[j]) + (x2 * r2[j] + x3 * r3[j]);
        }
    }
    for (; i < n_in; ++i) {
        const float *restrict row = w + (int64_t)i * n_out + lo;
        for (int b = 0; b < batch; ++b) {
            const float xi = x[(int64_t)b * n_in + i];
            float *restrict yb = y + (int64_t)b * n_out + lo;
            for (int j = 0; j < n; ++j) yb[j] += xi * row[j];
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

/* Rotate the pairs (2i, 2i + 1) of one head's x [head_dim] by the angles of one position. */
static void rotate(float *x, const float *cos, const float *sin, int head_dim) {
    for (int i = 0; i < head_dim / 2; ++i) {
        const float a = x[2 * i], b = x[2 * i + 1];
        x[2 * i] = a * cos[i] - b * sin[i];
        x[2 * i + 1] = a * sin[i] + b * cos[i];
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

typedef struct {
    const Net *net;
    int32_t batch, position, capacity;
    const int64_t *tokens;
    float *cache, *scratch, *logits;
} Job;

/* The second thread: it waits for a job by spinning (for SPIN_NS, so consecutive steps find it awake), then
 * sleeping on a condition variable; at once after `transformer_rest`, so that PyTorch's own threads have the
 * core for a prefill. `arrived[i]` counts the barriers thread i has reached in all steps. */
#define SPIN_NS 2000000L
static struct {
    pthread_mutex_t lock;   /* one step at a time, from whichever caller thread */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    atomic_int started, sleeping, resting;
    atomic_long job_number, first_job;
    atomic_long arrived[2];
    Job job;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void barrier(int id, int parties) {
    if (parties == 1) return;
    const long mine = atomic_fetch_add(&pool.arrived[id], 1) + 1;
    while (atomic_load(&pool.arrived[1 - id]) < mine) relax();
}

/* [lo, hi): the columns of n that thread id takes, cut at a multiple of 8 floats. */
static void share(int n, int id, int parties, int *lo, int *hi) {
    const int cut = parties == 1 ? n : ((n / 2 + 7) / 8) * 8 < n ? ((n / 2 + 7) / 8) * 8 : n;
    *lo = id == 0 ? 0 : cut;
    *hi = id == 0 ? cut : n;
}

static void gelu(float *u, int batch, int n, int lo, int hi) {
    for (int b = 0; b < batch; ++b)
        for (int j = lo; j < hi; ++j) {
            float *x = u + (int64_t)b * n + j;
            *x = 0.5f * *x * (1.0f + erff(*x * 0.70710678118654752f));
        }
}

static void add_columns(float *h, const float *y, int batch, int n, int lo, int hi) {
    for (int b = 0; b < batch; ++b)
        for (int j = lo; j < hi; ++j) h[(int64_t)b * n + j] += y[(int64_t)b * n + j];
}

/* Thread `id` of `parties` runs its share of the step. Scratch: h, two private LayerNorm outputs, qkv,
 * attention, a product output and the MLP's hidden units per stream, then one row of scores per thread. */
static void run(const Job *job, int id, int parties) {
    const Net *net = job->net;
    const int W = net->width, H = net->heads, F = net->hidden, K = net->levels, hd = W / H, B = job->batch;
    const int position = job->position;
    float *h = job->scratch, *x = h + (int64_t)(1 + id) * B * W, *qkv = h + (int64_t)3 * B * W;
    float *att = qkv + (int64_t)3 * B * W, *y = att + (int64_t)B * W, *u = y + (int64_t)B * W;
    float *scores = u + (int64_t)B * F + (int64_t)id * job->capacity;
    int lo3, hi3, lo, hi, loF, hiF, loK, hiK;
    share(3 * W, id, parties, &lo3, &hi3);
    share(W, id, parties, &lo, &hi);
    share(F, id, parties, &loF, &hiF);
    share(K, id, parties, &loK, &hiK);

    for (int b = 0; b < B; ++b)
        for (int i = lo; i < hi; ++i) {
            float *to = h + (int64_t)b * W + i;
            *to = net->embed[job->tokens[b] * W + i];
            if (net->position) *to += net->position[(int64_t)position * W + i];
        }
    barrier(id, parties);
    const int64_t head_stride = (int64_t)job->capacity * hd, batch_stride = H * head_stride;
    const int64_t part_stride = B * batch_stride;
    for (int l = 0; l < net->layers; ++l) {
        float *keys = job->cache + (int64_t)l * 2 * part_stride, *values = keys + part_stride;
        layer_norm(x, h, net->ln1_weight + (int64_t)l * W, net->ln1_bias + (int64_t)l * W, B, W, net->eps);
        product(qkv, x, net->qkv_weight + (int64_t)l * W * 3 * W, net->qkv_bias + (int64_t)l * 3 * W, B, W, 3 * W,
                lo3, hi3);
        barrier(id, parties);
        for (int pair = id; pair < B * H; pair += parties) {
            const int b = pair / H, head = pair % H;
            float *q = qkv + (int64_t)b * 3 * W + head * hd, *k = q + W, *v = k + W;
            if (net->rotary_cos) {
                const float *cos = net->rotary_cos + (int64_t)position * (hd / 2);
                const float *sin = net->rotary_sin + (int64_t)position * (hd / 2);
                rotate(q, cos, sin, hd);
                rotate(k, cos, sin, hd);
            }
            const int64_t at = b * batch_stride + head * head_stride;
            memcpy(keys + at + (int64_t)position * hd, k, sizeof(float) * hd);
            memcpy(values + at + (int64_t)position * hd, v, sizeof(float) * hd);
            attend(att + (int64_t)b * W + head * hd, q, keys + at, values + at, scores, position + 1, hd);
        }
        barrier(id, parties);
        product(y, att, net->proj_weight + (int64_t)l * W * W, net->proj_bias + (int64_t)l * W, B, W, W, lo, hi);
        add_columns(h, y, B, W, lo, hi);
        barrier(id, parties);
        layer_norm(x, h, net->ln2_weight + (int64_t)l * W, net->ln2_bias + (int64_t)l * W, B, W, net->eps);
        product(u, x, net->fc_weight + (int64_t)l * W * F, net->fc_bias + (int64_t)l * F, B, W, F, loF, hiF);
        gelu(u, B, F, loF, hiF);
        barrier(id, parties);
        product(y, u, net->out_weight + (int64_t)l * F * W, net->out_bias + (int64_t)l * W, B, F, W, lo, hi);
        add_columns(h, y, B, W, lo, hi);
        barrier(id, parties);
    }
    layer_norm(x, h, net->lnf_weight, net->lnf_bias, B, W, net->eps);
    product(job->logits, x, net->head_weight, net->head_bias, B, W, K, loK, hiK);
    barrier(id, parties);
}

static void *work(void *unused) {
    (void)unused;
    long seen = atomic_load(&pool.first_job) - 1;
    for (;;) {
        const long since = now_ns();
        for (int spins = 0; atomic_load(&pool.job_number) == seen; ++spins) {
            relax();
            if (atomic_load(&pool.resting) || ((spins & 255) == 255 && now_ns() - since > SPIN_NS)) {
                pthread_mutex_lock(&pool.wake_lock);
                atomic_store(&pool.sleeping, 1);
                while (atomic_load(&pool.job_number) == seen) pthread_cond_wait(&pool.wake, &pool.wake_lock);
                atomic_store(&pool.sleeping, 0);
                pthread_mutex_unlock(&pool.wake_lock);
            }
        }
        seen = atomic_load(&pool.job_number);
        run(&pool.job, 1, 2);
    }
    return NULL;
}

/* A forked child (torchrun's workers, multiprocessing) has no second thread: it starts its own. */
static void forgotten_in_child(void) {
    atomic_store(&pool.started, 0);
    atomic_store(&pool.sleeping, 0);
    atomic_store(&pool.arrived[0], 0);
    atomic_store(&pool.arrived[1], 0);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_mutex_init(&pool.wake_lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
}

static int second_thread(void) {
    if (atomic_load(&pool.started)) return 1;
    static int registered = 0;
    if (!registered) registered = pthread_atfork(NULL, NULL, forgotten_in_child) == 0;
    atomic_store(&pool.arrived[0], 0);
    atomic_store(&pool.arrived[1], 0);
    atomic_store(&pool.first_job, atomic_load(&pool.job_number) + 1);
    pthread_t thread;
    if (!registered || pthread_create(&thread, NULL, work, NULL) != 0) return 0;
    pthread_detach(thread);
    atomic_store(&pool.started, 1);
    return 1;
}

/* tokens [batch] at window position `position` (0 = the start token's place); cache as above with room for
 * `capacity` positions; scratch: batch * (8 * width + hidden) + 2 * capacity floats; logits [batch][levels].
 * threads: 1, or 2 to share the step with a second thread (one step at a time across callers).
 * Returns -1 (nothing written) when a token lies outside 0..levels or the position outside the context and
 * the cache; else 0. */
int32_t transformer_step(const Net *net, int32_t batch, const int64_t *tokens, int32_t position, float *cache,
                         int32_t capacity, float *scratch, float *logits, int32_t threads) {
    if (position < 0 || position >= capacity || position >= net->context) return -1;
    for (int b = 0; b < batch; ++b)
        if (tokens[b] < 0 || tokens[b] > net->levels) return -1;
    const Job job = {net, batch, position, capacity, tokens, cache, scratch, logits};
    if (threads < 2) {
        run(&job, 0, 1);
        return 0;
    }
    pthread_mutex_lock(&pool.lock);
    if (!second_thread()) {
        pthread_mutex_unlock(&pool.lock);
        run(&job, 0, 1);
        return 0;
    }
    pool.job = job;
    atomic_store(&pool.resting, 0);
    atomic_fetch_add(&pool.job_number, 1);
    if (atomic_load(&pool.sleeping)) {
        pthread_mutex_lock(&pool.wake_lock);
        pthread_cond_signal(&pool.wake);
        pthread_mutex_unlock(&pool.wake_lock);
    }
    run(&job, 0, 2);
    pthread_mutex_unlock(&pool.lock);
    return 0;
}

/* Let the second thread sleep now rather than spin for its next job (the caller is about to run other work). */
void transformer_rest(void) { atomic_store(&pool.resting, 1); }
