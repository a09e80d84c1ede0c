/* test_bench_proc: the /proc readings behind the server CPU and RSS figures. A
 * child process that grows its memory must appear in this process's tree, under its
 * name, and a memory record must see its RSS rise by about what it touched and keep
 * that as the maximum after the child is gone. CTest label "bench". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_test.h"
#include "bench_proc.h"

static pid_t s_child_pid;   /* killed on any exit: a paused child would hold CTest's pipe */

static void s_kill_child(void)
{
    if (s_child_pid > 0) {
        kill(s_child_pid, SIGKILL);
        waitpid(s_child_pid, NULL, 0);
        s_child_pid = 0;
    }
}


#define S_GROW_MB 64

/* The child: waits for a byte on in_fd, touches S_GROW_MB, says so on out_fd, waits. */
static void s_child(int in_fd, int out_fd)
{
    char c;
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* also when the test itself is killed (a CTest timeout) */
    if (read(in_fd, &c, 1) != 1)
        _exit(1);
    size_t n = (size_t)S_GROW_MB << 20;
    char *block = malloc(n);
    if (!block)
        _exit(1);
    memset(block, 'x', n);
    if (write(out_fd, block + n - 1, 1) != 1)   /* a byte of the block: the memset must happen */
        _exit(1);
    pause();
    free(block);
    _exit(0);
}

static int s_in_tree(int root, int pid)
{
    int pids[64];
    int n = bench_proc_tree(root, pids, 64);
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return 1;
    return 0;
}

int main(void)
{
    int self = (int)getpid();
    CHECK(bench_proc_rss_kb(self) > 0);
    CHECK(bench_proc_tree_cpu(self, NULL) >= 0);
    CHECK(bench_proc_rss_kb(-1) == -1);

    int to_child[2], from_child[2];
    CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0)
        s_child(to_child[0], from_child[1]);
    s_child_pid = child;
    atexit(s_kill_child);

    int pids[64];
    int n = bench_proc_tree(self, pids, 64);
    CHECK(n >= 2 && pids[0] == self);
    CHECK(s_in_tree(self, (int)child));
    CHECK(!s_in_tree((int)child, self));   /* a parent is not a descendant */
    int processes = 0;
    CHECK(bench_proc_tree_cpu(self, &processes) >= 0 && processes >= 2);

    char name[64];
    bench_proc_name(self, name, sizeof(name));
    CHECK(strcmp(name, "test_bench_proc") == 0);

    static bench_mem_t mem;   /* large: not on the stack */
    bench_mem_begin(&mem, self);
    CHECK(mem.n_procs >= 2 && mem.n_samples == 1 && strcmp(mem.samples[0].phase, "setup") == 0);
    int slot = -1;
    for (int i = 0; i < mem.n_procs; i++)
        if (mem.procs[i].pid == (int)child)
            slot = i;
    CHECK(slot >= 0 && mem.procs[slot].start_kb > 0);
    long before = mem.procs[slot].start_kb;

    char c = 'g';
    CHECK(write(to_child[1], &c, 1) == 1);
    CHECK(read(from_child[0], &c, 1) == 1);
    bench_mem_poll(&mem, BENCH_MEM_AT_WINDOW, 1.0, "measure");
    long grown = mem.procs[slot].window_start_kb - before;
    fprintf(stderr, "child RSS %ld kB before, %ld kB after touching %d MB\n", before,
            mem.procs[slot].window_start_kb, S_GROW_MB);
    CHECK(grown > (S_GROW_MB - 4) * 1024 && grown < (S_GROW_MB + 16) * 1024);
    CHECK(mem.n_samples == 2 && mem.samples[1].kb[slot] == mem.procs[slot].window_start_kb);
    CHECK(mem.total_max_kb >= mem.procs[slot].window_start_kb);

    s_kill_child();
    bench_mem_poll(&mem, BENCH_MEM_AT_END, 2.0, NULL);
    CHECK(mem.procs[slot].end_kb == -1);                         /* gone at the end */
    CHECK(mem.procs[slot].max_kb >= before + grown);             /* the maximum stays */
    CHECK(mem.n_samples == 2);                                   /* no phase: no sample */
    printf("test_bench_proc: ok (child grew %ld kB)\n", grown);
    return 0;
}
