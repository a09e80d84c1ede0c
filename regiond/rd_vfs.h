/* rd_vfs: a SQLite VFS shim over the platform's default VFS ("unix"), registered as
 * the default at regiond start. Everything passes through, except that while the
 * disk-full switch is on (chaos "disk_full", issue 9), writes that would grow or
 * change the main database, its WAL or its rollback journal fail with SQLITE_FULL, as
 * on a full disk. The switch is process-wide and atomic (any thread's connection). */
#ifndef RD_VFS_H
#define RD_VFS_H

#include <stdbool.h>
#include <stdint.h>

#define RD_VFS_NAME "meridian"

/* Registers the shim as SQLite's default VFS (call before opening any database).
 * 0, or -1 when there is no default VFS to wrap or registration failed (logged). */
int rd_vfs_register(void);

/* Turns the disk-full switch on or off; takes effect at the next write. */
void rd_vfs_set_disk_full(bool full);
bool rd_vfs_disk_full(void);

/* Writes refused with SQLITE_FULL since the process started. */
uint64_t rd_vfs_refused_writes(void);

/* True when the comma- or space-separated list names region (how the gateway hands a
 * restarted regiond the switch: MERIDIAN_CHAOS_DISK_FULL). */
bool rd_vfs_region_listed(const char *list, const char *region);

#endif
