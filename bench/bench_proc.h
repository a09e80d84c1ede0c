/* bench_proc: what a server's processes use, read from /proc: the tree of a pid and
 * its descendants (Meridian's gateway and its regionds), each process's CPU time and
 * resident memory (VmRSS), and a memory record over a run: per process its RSS at
 * the start, the most seen, after the preload and at the end, plus timed samples. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stddef.h>

#define BENCH_PROC_MAX 16          /* processes of one tree tracked in a memory record */
#define BENCH_MEM_MAX_SAMPLES 720  /* timed samples kept: 2 hours at one per 10 s */

/* Pids of root and its descendants, root first. Returns how many (0 if root is gone),
 * at most max. */
int bench_proc_tree(int root, int *pids, int max);
/* CPU seconds (user + system) of root and its descendants, -1 if root is gone;
 * *processes (may be NULL) gets the tree's size. */
double bench_proc_tree_cpu(int root, int *processes);
/* VmRSS of one process in kB, or -1 if it is gone. */
long bench_proc_rss_kb(int pid);
/* A readable name: argv[0]'s basename, and " R" when argv holds "--region R". */
void bench_proc_name(int pid, char *out, size_t size);

typedef struct bench_mem_proc {
    int pid;
    char name[64];          /* bench_proc_name */
    long start_kb;          /* when the record began; -1: not running yet */
    long max_kb;            /* the largest seen by any poll */
    long preload_kb;        /* right after the preload; -1: no preload, or not running */
    long window_start_kb;   /* when the measured window began; -1: not running */
    long end_kb;            /* when the measured window ended; -1: gone */
} bench_mem_proc_t;

typedef struct bench_mem_sample {
    double t_s;                     /* seconds since the record began */
    char phase[12];                 /* "setup", "preload", "warmup", "measure", "end" */
    long kb[BENCH_PROC_MAX];        /* per process, indexed as procs[]; -1: not running */
} bench_mem_sample_t;

typedef struct bench_mem {
    int root;                       /* 0: no record */
    int n_procs;
    bench_mem_proc_t procs[BENCH_PROC_MAX];
    long total_start_kb;            /* sums over the tree at those moments */
    long total_max_kb;              /* the largest sum seen by one poll */
    long total_end_kb;
    int n_samples;
    int samples_dropped;            /* samples past BENCH_MEM_MAX_SAMPLES */
    bench_mem_sample_t samples[BENCH_MEM_MAX_SAMPLES];
} bench_mem_t;

typedef enum {
    BENCH_MEM_AT_NONE,      /* only the maxima (and a timed sample) */
    BENCH_MEM_AT_START,
    BENCH_MEM_AT_PRELOAD,
    BENCH_MEM_AT_WINDOW,
    BENCH_MEM_AT_END,
} bench_mem_at_t;

/* Starts a record of root's tree (root <= 0: the record stays empty). */
void bench_mem_begin(bench_mem_t *m, int root);
/* Reads the tree's RSS now: updates the maxima, adopts new processes, and stores the
 * values as moment at's (unless BENCH_MEM_AT_NONE). With a phase, also appends a
 * timed sample at t_s. */
void bench_mem_poll(bench_mem_t *m, bench_mem_at_t at, double t_s, const char *phase);

#endif
