/* rd_vfs: the disk-full switch as a SQLite VFS shim. Each method of the VFS and of
 * its files calls the wrapped ("unix") one; a file of ours is our header followed by
 * the wrapped VFS's file. Only xWrite, a growing xTruncate and SQLITE_FCNTL_SIZE_HINT
 * on a database, WAL or rollback journal look at the switch. The io methods offered
 * mirror the wrapped file's iVersion, so SQLite sees the same capabilities (WAL needs
 * the version 2 shm methods). */
#include "rd_vfs.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

#include "ddb_log.h"

/* The files a full disk refuses to grow: the data, and what a commit writes first. */
#define RD_VFS_GUARDED (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)

typedef struct rd_vfs_file {
    sqlite3_file base;        /* pMethods: one of s_io, or NULL when the open failed */
    bool guarded;             /* the switch applies to this file */
    sqlite3_file *real;       /* the wrapped VFS's file, right after this header */
} rd_vfs_file_t;

static sqlite3_vfs s_vfs;              /* ours: a copy of the wrapped one, renamed */
static sqlite3_vfs *s_real;            /* the wrapped VFS */
static sqlite3_io_methods s_io[3];     /* ours, for wrapped files of iVersion 1, 2, 3 */
/* Atomic: a connection on another thread (a checkpointer) may write too. */
static atomic_bool s_disk_full;        /* the switch */
static atomic_uint_fast64_t s_refused; /* writes refused while it was on */

static sqlite3_file *s_real_file(sqlite3_file *f)
{
    return ((rd_vfs_file_t *)f)->real;
}

/* True when a write to f must fail now (and counts it). */
static bool s_refuse(sqlite3_file *f)
{
    if (!atomic_load_explicit(&s_disk_full, memory_order_relaxed) || !((rd_vfs_file_t *)f)->guarded)
        return false;
    atomic_fetch_add_explicit(&s_refused, 1, memory_order_relaxed);
    return true;
}

/* ---- io methods ---- */

static int s_close(sqlite3_file *f)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
}

static int s_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xRead(real, buf, amt, off);
}

static int s_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *real = s_real_file(f);
    if (s_refuse(f))
        return SQLITE_FULL;
    return real->pMethods->xWrite(real, buf, amt, off);
}

/* Shrinking frees space, which a full disk allows (SQLite shrinks the WAL after a
 * checkpoint); growing is refused. */
static int s_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *real = s_real_file(f);
    sqlite3_int64 now = 0;
    if (rd_vfs_disk_full() && real->pMethods->xFileSize(real, &now) == SQLITE_OK && size > now && s_refuse(f))
        return SQLITE_FULL;
    return real->pMethods->xTruncate(real, size);
}

static int s_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xSync(real, flags);
}

static int s_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xFileSize(real, size);
}

static int s_lock(sqlite3_file *f, int level)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xLock(real, level);
}

static int s_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xUnlock(real, level);
}

static int s_check_reserved_lock(sqlite3_file *f, int *out)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xCheckReservedLock(real, out);
}

/* SIZE_HINT asks the VFS to allocate space ahead (with a chunk size set, "unix"
 * writes it): refused like a write. Every other control passes through. */
static int s_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *real = s_real_file(f);
    if (op == SQLITE_FCNTL_SIZE_HINT && s_refuse(f))
        return SQLITE_FULL;
    return real->pMethods->xFileControl(real, op, arg);
}

static int s_sector_size(sqlite3_file *f)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xSectorSize(real);
}

static int s_device_characteristics(sqlite3_file *f)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xDeviceCharacteristics(real);
}

static int s_shm_map(sqlite3_file *f, int page, int page_size, int extend, void volatile **out)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xShmMap(real, page, page_size, extend, out);
}

static int s_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xShmLock(real, offset, n, flags);
}

static void s_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *real = s_real_file(f);
    real->pMethods->xShmBarrier(real);
}

static int s_shm_unmap(sqlite3_file *f, int delete_flag)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xShmUnmap(real, delete_flag);
}

static int s_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xFetch(real, off, amt, out);
}

static int s_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    sqlite3_file *real = s_real_file(f);
    return real->pMethods->xUnfetch(real, off, p);
}

/* ---- vfs methods ---- */

static int s_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    rd_vfs_file_t *p = (rd_vfs_file_t *)f;
    memset(p, 0, sizeof(*p));
    p->real = (sqlite3_file *)&p[1];
    p->guarded = (flags & RD_VFS_GUARDED) != 0;
    int rc = s_real->xOpen(s_real, name, p->real, flags, out_flags);
    if (p->real->pMethods) {   /* xClose will be called, even after a failure */
        int version = p->real->pMethods->iVersion;
        p->base.pMethods = &s_io[version < 1 ? 0 : version > 3 ? 2 : version - 1];
    }
    return rc;
}

static int s_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return s_real->xDelete(s_real, name, sync_dir);
}

static int s_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return s_real->xAccess(s_real, name, flags, out);
}

static int s_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return s_real->xFullPathname(s_real, name, n, out);
}

static void *s_dl_open(sqlite3_vfs *vfs, const char *path)
{
    (void)vfs;
    return s_real->xDlOpen(s_real, path);
}

static void s_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    s_real->xDlError(s_real, n, out);
}

static void (*s_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    (void)vfs;
    return s_real->xDlSym(s_real, handle, symbol);
}

static void s_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    s_real->xDlClose(s_real, handle);
}

static int s_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return s_real->xRandomness(s_real, n, out);
}

static int s_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return s_real->xSleep(s_real, us);
}

static int s_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return s_real->xCurrentTime(s_real, out);
}

static int s_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return s_real->xGetLastError(s_real, n, out);
}

static int s_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return s_real->xCurrentTimeInt64(s_real, out);
}

static int s_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr fn)
{
    (void)vfs;
    return s_real->xSetSystemCall(s_real, name, fn);
}

static sqlite3_syscall_ptr s_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return s_real->xGetSystemCall(s_real, name);
}

static const char *s_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return s_real->xNextSystemCall(s_real, name);
}

int rd_vfs_register(void)
{
    if (s_real)
        return 0;
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real) {
        DDB_ERROR("sqlite has no default VFS to wrap");
        return -1;
    }
    static const sqlite3_io_methods io = {
        .iVersion = 3,
        .xClose = s_close, .xRead = s_read, .xWrite = s_write, .xTruncate = s_truncate, .xSync = s_sync,
        .xFileSize = s_file_size, .xLock = s_lock, .xUnlock = s_unlock, .xCheckReservedLock = s_check_reserved_lock,
        .xFileControl = s_file_control, .xSectorSize = s_sector_size,
        .xDeviceCharacteristics = s_device_characteristics,
        .xShmMap = s_shm_map, .xShmLock = s_shm_lock, .xShmBarrier = s_shm_barrier, .xShmUnmap = s_shm_unmap,
        .xFetch = s_fetch, .xUnfetch = s_unfetch,
    };
    for (int v = 0; v < 3; v++) {
        s_io[v] = io;
        s_io[v].iVersion = v + 1;
    }
    /* Same version, sizes and capabilities as the wrapped VFS; methods that version
     * lacks stay NULL, as they are there. */
    s_vfs = (sqlite3_vfs){
        .iVersion = real->iVersion,
        .szOsFile = (int)sizeof(rd_vfs_file_t) + real->szOsFile,
        .mxPathname = real->mxPathname,
        .zName = RD_VFS_NAME,
        .xOpen = s_open, .xDelete = s_delete, .xAccess = s_access, .xFullPathname = s_full_pathname,
        .xDlOpen = real->xDlOpen ? s_dl_open : NULL, .xDlError = real->xDlError ? s_dl_error : NULL,
        .xDlSym = real->xDlSym ? s_dl_sym : NULL, .xDlClose = real->xDlClose ? s_dl_close : NULL,
        .xRandomness = s_randomness, .xSleep = s_sleep, .xCurrentTime = s_current_time,
        .xGetLastError = s_get_last_error,
    };
    if (real->iVersion >= 2 && real->xCurrentTimeInt64)
        s_vfs.xCurrentTimeInt64 = s_current_time_int64;
    if (real->iVersion >= 3) {
        s_vfs.xSetSystemCall = real->xSetSystemCall ? s_set_system_call : NULL;
        s_vfs.xGetSystemCall = real->xGetSystemCall ? s_get_system_call : NULL;
        s_vfs.xNextSystemCall = real->xNextSystemCall ? s_next_system_call : NULL;
    }
    s_real = real;
    if (sqlite3_vfs_register(&s_vfs, 1) != SQLITE_OK) {
        DDB_ERROR("cannot register the %s VFS", RD_VFS_NAME);
        s_real = NULL;
        return -1;
    }
    return 0;
}

void rd_vfs_set_disk_full(bool full)
{
    if (atomic_exchange(&s_disk_full, full) != full)
        DDB_WARN("chaos: disk full %s", full ? "ON: writes to the database fail with SQLITE_FULL" : "off");
}

bool rd_vfs_disk_full(void)
{
    return atomic_load_explicit(&s_disk_full, memory_order_relaxed);
}

uint64_t rd_vfs_refused_writes(void)
{
    return (uint64_t)atomic_load_explicit(&s_refused, memory_order_relaxed);
}

bool rd_vfs_region_listed(const char *list, const char *region)
{
    size_t n = strlen(region);
    for (const char *p = list ? list : ""; *p;) {
        size_t len = strcspn(p, ", ");
        if (len == n && n > 0 && memcmp(p, region, n) == 0)
            return true;
        p += len;
        p += strspn(p, ", ");
    }
    return false;
}
