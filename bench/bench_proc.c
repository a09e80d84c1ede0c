/* bench_proc: CPU and memory of a server's process tree, from /proc (see
 * bench_proc.h). A tree is found by reading every process's parent from
 * /proc/PID/stat; a poll reads VmRSS from /proc/PID/status of each member. Linux
 * only, like the rest of the tool's accounting. */
#include "bench_proc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_SCAN_MAX 8192   /* processes read from /proc in one scan */

/* utime + stime (seconds) and parent of one process from /proc/PID/stat; -1 if gone. */
static double s_stat(int pid, int *ppid)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')');   /* the command name may hold spaces */
    if (!p)
        return -1;
    unsigned long utime = 0, stime = 0;
    int parent = 0;
    if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &parent, &utime, &stime) != 3)
        return -1;
    if (ppid)
        *ppid = parent;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

int bench_proc_tree(int root, int *pids, int max)
{
    int all[S_SCAN_MAX], parents[S_SCAN_MAX];
    char in_tree[S_SCAN_MAX];
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d || max <= 0) {
        if (d)
            closedir(d);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) && n < S_SCAN_MAX) {
        int pid = atoi(e->d_name);
        int parent = 0;
        if (pid <= 0 || s_stat(pid, &parent) < 0)
            continue;
        all[n] = pid;
        parents[n] = parent;
        in_tree[n] = 0;
        n++;
    }
    closedir(d);
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (all[i] == root) {
            in_tree[i] = 1;
            pids[count++] = root;
        }
    }
    for (int changed = count; changed && count < max;) {   /* descendants: until no process joins */
        changed = 0;
        for (int i = 0; i < n && count < max; i++) {
            if (in_tree[i])
                continue;
            for (int j = 0; j < n; j++) {
                if (in_tree[j] && all[j] == parents[i]) {
                    in_tree[i] = 1;
                    pids[count++] = all[i];
                    changed = 1;
                    break;
                }
            }
        }
    }
    return count;
}

double bench_proc_tree_cpu(int root, int *processes)
{
    int pids[256];
    int n = bench_proc_tree(root, pids, 256);
    double total = 0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
        double cpu = s_stat(pids[i], NULL);
        if (cpu >= 0) {
            total += cpu;
            counted++;
        }
    }
    if (processes)
        *processes = counted;
    return counted ? total : -1;
}

long bench_proc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

void bench_proc_name(int pid, char *out, size_t size)
{
    char path[64], argv[4096];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    snprintf(out, size, "pid %d", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(argv, 1, sizeof(argv) - 1, f);
    fclose(f);
    if (n == 0)
        return;
    argv[n] = '\0';
    const char *slash = strrchr(argv, '/');
    const char *base = slash ? slash + 1 : argv;
    const char *region = NULL;
    for (const char *arg = argv; arg < argv + n; arg += strlen(arg) + 1) {   /* NUL-separated */
        if (strncmp(arg, "--region=", 9) == 0)
            region = arg + 9;
        else if (strcmp(arg, "--region") == 0 && arg + strlen(arg) + 1 < argv + n)
            region = arg + strlen(arg) + 1;
    }
    snprintf(out, size, "%s%s%s", base, region ? " " : "", region ? region : "");
}

/* The index of pid in m->procs, adding it when there is room; -1 if full. */
static int s_mem_slot(bench_mem_t *m, int pid)
{
    for (int i = 0; i < m->n_procs; i++)
        if (m->procs[i].pid == pid)
            return i;
    if (m->n_procs == BENCH_PROC_MAX)
        return -1;
    bench_mem_proc_t *p = &m->procs[m->n_procs];
    p->pid = pid;
    bench_proc_name(pid, p->name, sizeof(p->name));
    p->start_kb = p->max_kb = p->preload_kb = p->window_start_kb = p->end_kb = -1;
    return m->n_procs++;
}

void bench_mem_begin(bench_mem_t *m, int root)
{
    m->root = root > 0 ? root : 0;
    m->n_procs = 0;
    m->n_samples = m->samples_dropped = 0;
    m->total_start_kb = m->total_max_kb = m->total_end_kb = -1;
    if (m->root)
        bench_mem_poll(m, BENCH_MEM_AT_START, 0, "setup");
}

void bench_mem_poll(bench_mem_t *m, bench_mem_at_t at, double t_s, const char *phase)
{
    if (!m->root)
        return;
    long now[BENCH_PROC_MAX];
    for (int i = 0; i < BENCH_PROC_MAX; i++)
        now[i] = -1;
    int pids[BENCH_PROC_MAX];
    int n = bench_proc_tree(m->root, pids, BENCH_PROC_MAX);
    long total = -1;
    for (int k = 0; k < n; k++) {
        long kb = bench_proc_rss_kb(pids[k]);
        int i = kb >= 0 ? s_mem_slot(m, pids[k]) : -1;
        if (i < 0)
            continue;
        now[i] = kb;
        total = (total < 0 ? 0 : total) + kb;
        if (kb > m->procs[i].max_kb)
            m->procs[i].max_kb = kb;
    }
    if (total > m->total_max_kb)
        m->total_max_kb = total;
    for (int i = 0; i < m->n_procs; i++) {
        bench_mem_proc_t *p = &m->procs[i];
        switch (at) {
        case BENCH_MEM_AT_START: p->start_kb = now[i]; break;
        case BENCH_MEM_AT_PRELOAD: p->preload_kb = now[i]; break;
        case BENCH_MEM_AT_WINDOW: p->window_start_kb = now[i]; break;
        case BENCH_MEM_AT_END: p->end_kb = now[i]; break;
        case BENCH_MEM_AT_NONE: break;
        }
    }
    if (at == BENCH_MEM_AT_START)
        m->total_start_kb = total;
    else if (at == BENCH_MEM_AT_END)
        m->total_end_kb = total;
    if (!phase)
        return;
    if (m->n_samples == BENCH_MEM_MAX_SAMPLES) {
        m->samples_dropped++;
        return;
    }
    bench_mem_sample_t *s = &m->samples[m->n_samples++];
    s->t_s = t_s;
    snprintf(s->phase, sizeof(s->phase), "%s", phase);
    memcpy(s->kb, now, sizeof(s->kb));
}
