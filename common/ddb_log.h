/* ddb_log: one-line logs to stderr with time, process tag and level. */
#ifndef DDB_LOG_H
#define DDB_LOG_H

typedef enum { DDB_LOG_DEBUG = 0, DDB_LOG_INFO, DDB_LOG_WARN, DDB_LOG_ERROR } ddb_log_level_t;

/* Sets the tag printed on every line (e.g. "gateway" or "regiond us-east-1") and
 * the lowest level printed. The tag is copied. */
void ddb_log_init(const char *tag, ddb_log_level_t level);
void ddb_log(ddb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define DDB_DEBUG(...) ddb_log(DDB_LOG_DEBUG, __VA_ARGS__)
#define DDB_INFO(...) ddb_log(DDB_LOG_INFO, __VA_ARGS__)
#define DDB_WARN(...) ddb_log(DDB_LOG_WARN, __VA_ARGS__)
#define DDB_ERROR(...) ddb_log(DDB_LOG_ERROR, __VA_ARGS__)

#endif
