// A fork-join pool for Ember's parallel regions. libdispatch's concurrentPerform wakes a sleeping
// worker for every region, 13-26 µs here; a training step of the MLP has four regions. These workers
// spin for a while after each region (yielding the core to any other runnable thread), so the next
// region starts in well under a microsecond, and sleep on a condition variable once idle.
#include "EmberKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define EMBER_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define EMBER_PAUSE() __asm__ __volatile__("yield")
#else
#define EMBER_PAUSE() ((void)0)
#endif

// How long an idle worker keeps polling for the next region before it sleeps.
#define EMBER_SPIN_NANOSECONDS 200000
#define EMBER_MAX_WORKERS 255

typedef struct {
    // The current region: its number in the high 32 bits, the next unclaimed piece in the low 32
    // (SETUP while the region's description is being written). Claiming a piece with one
    // compare-and-swap on both halves means a worker that read an older region's function can never
    // run it with a newer region's piece.
    _Atomic uint64_t state;
    _Atomic int64_t done;          // pieces finished in the current region
    _Atomic int sleepers;          // workers waiting on `wake`
    // The region's description: written before `state` publishes it (relaxed atomics, since a
    // worker late for one region may read them while the next is being written; its claim then fails).
    _Atomic(ember_task_fn) function;
    _Atomic(void *) context;
    _Atomic int64_t count;         // pieces in the current region
    _Atomic int participants;      // caller + workers taking part in the current region
    int workers;                   // threads started so far
    pthread_mutex_t submit;        // held by the thread running a region; others run inline
    pthread_mutex_t lock;
    pthread_cond_t wake;
} ember_pool;

static ember_pool pool = {
    .submit = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

// The piece half of `state` while a region is being set up: no piece can be claimed.
#define SETUP 0xffffffffu

static uint64_t region_of(uint64_t state) { return state >> 32; }

static int64_t now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Claims and runs pieces of region `region` until none is left (or a newer region began).
static void run_pieces(uint64_t region) {
    for (;;) {
        uint64_t state = atomic_load(&pool.state);
        if (region_of(state) != region) return;
        ember_task_fn function = atomic_load_explicit(&pool.function, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
        int64_t piece = (int64_t)(state & 0xffffffffu);
        if (piece == SETUP) {  // the description is a few stores away
            EMBER_PAUSE();
            continue;
        }
        if (piece >= atomic_load_explicit(&pool.count, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak(&pool.state, &state, state + 1)) continue;
        function(context, piece);
        atomic_fetch_add(&pool.done, 1);
    }
}

static void *worker_main(void *argument) {
    int index = (int)(intptr_t)argument;  // worker 0 joins regions with at least 2 participants
    uint64_t seen = 0;
    for (;;) {
        int64_t idle_since = now_nanoseconds();
        unsigned polls = 0;
        while (region_of(atomic_load(&pool.state)) == seen) {
            EMBER_PAUSE();
            if (++polls % 64 == 0) {
                sched_yield();  // let another runnable thread (a data loader) have this core
                if (now_nanoseconds() - idle_since > EMBER_SPIN_NANOSECONDS) {
                    pthread_mutex_lock(&pool.lock);
                    atomic_fetch_add(&pool.sleepers, 1);
                    while (region_of(atomic_load(&pool.state)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                    atomic_fetch_sub(&pool.sleepers, 1);
                    pthread_mutex_unlock(&pool.lock);
                }
            }
        }
        seen = region_of(atomic_load(&pool.state));
        if (index + 1 < atomic_load_explicit(&pool.participants, memory_order_relaxed)) run_pieces(seen);
    }
    return NULL;
}

static void start_workers(int wanted) {
    if (wanted > EMBER_MAX_WORKERS) wanted = EMBER_MAX_WORKERS;
    while (pool.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)pool.workers);
        pthread_attr_destroy(&attributes);
        if (failed) break;  // run with the threads there are
        pool.workers++;
    }
}

// Set on threads whose regions should never take the pool (see ember_parallel_set_inline).
static _Thread_local int inline_only;

int ember_parallel_set_inline(int on) {
    int was = inline_only;
    inline_only = on;
    return was;
}

void ember_parallel_for(int64_t count, int threads, ember_task_fn function, void *context) {
    if (count <= 0) return;
    if (threads < 2 || count == 1 || count >= SETUP || inline_only || pthread_mutex_trylock(&pool.submit) != 0) {
        // One thread asked for, one piece, or a region already running (a nested call, or one from
        // another thread): run here.
        for (int64_t i = 0; i < count; i++) function(context, i);
        return;
    }
    start_workers(threads - 1);
    // Close the last region before describing this one. A worker late for the last region may have
    // read its state, with a piece left past its end, just before this; if it then read this
    // region's larger count, its claim on the old state would succeed and it would run a piece of
    // this region that the region runs again (seen under load: 1 region in 80).
    uint64_t region = region_of(atomic_load(&pool.state)) + 1;
    atomic_store(&pool.state, region << 32 | SETUP);
    atomic_store_explicit(&pool.function, function, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.count, count, memory_order_relaxed);
    atomic_store_explicit(&pool.participants, pool.workers + 1 < threads ? pool.workers + 1 : threads,
                          memory_order_relaxed);
    atomic_store(&pool.done, 0);
    atomic_store(&pool.state, region << 32);  // opens the region and publishes the fields above
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_pieces(region);
    while (atomic_load(&pool.done) < count) EMBER_PAUSE();
    pthread_mutex_unlock(&pool.submit);
}
