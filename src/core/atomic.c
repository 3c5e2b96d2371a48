/* Atomic output files: write to a temporary file beside the target, then
 * rename(2), which replaces the target in one step on POSIX file systems. */
#define _GNU_SOURCE /* syscall() */
#include "peil/core.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct peil_atomic_file {
  char *target;
  char *temp;
  FILE *fp; /* opened lazily by peil_atomic_stream */
  int fd;
  int slot; /* index in the registry below */
};

/* Registry of live temporary paths so that a signal handler can remove them.
 * Fixed size and plain char arrays: the handler may only call unlink(2). */
#define MAX_LIVE 64
static char live_paths[MAX_LIVE][4096];
static volatile sig_atomic_t live_used[MAX_LIVE];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static int live_add(const char *path) {
  pthread_mutex_lock(&live_lock);
  int slot = -1;
  for (int i = 0; i < MAX_LIVE; i++)
    if (!live_used[i]) {
      snprintf(live_paths[i], sizeof live_paths[i], "%s", path);
      live_used[i] = 1;
      slot = i;
      break;
    }
  pthread_mutex_unlock(&live_lock);
  return slot;
}

static void live_remove(int slot) {
  if (slot < 0) return;
  pthread_mutex_lock(&live_lock);
  live_used[slot] = 0;
  pthread_mutex_unlock(&live_lock);
}

/* Temporary directories (peil run's output and rows) tracked the same way:
 * a handful at a time. */
#define MAX_DIRS 8
static char live_dirs[MAX_DIRS][4096];
static volatile sig_atomic_t dir_used[MAX_DIRS];

int peil_atomic_track_dir(const char *path) {
  pthread_mutex_lock(&live_lock);
  int slot = -1;
  for (int i = 0; i < MAX_DIRS && slot < 0; i++)
    if (!dir_used[i]) {
      snprintf(live_dirs[i], sizeof live_dirs[i], "%s", path);
      dir_used[i] = 1;
      slot = i;
    }
  pthread_mutex_unlock(&live_lock);
  return slot;
}

void peil_atomic_untrack_dir(int slot) {
  if (slot < 0 || slot >= MAX_DIRS) return;
  pthread_mutex_lock(&live_lock);
  dir_used[slot] = 0;
  pthread_mutex_unlock(&live_lock);
}

/* Empties a directory of files and removes it, with system calls only
 * (open, getdents64, unlinkat, rmdir are safe in a signal handler; readdir
 * and nftw are not). Subdirectories are not descended into. */
static void remove_flat_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[8192];
  long n;
  while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < n;) {
      const struct linux_dirent64 {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      } *d = (const void *)(buf + off);
      if (strcmp(d->name, ".") != 0 && strcmp(d->name, "..") != 0) unlinkat(fd, d->name, 0);
      off += d->reclen;
    }
  close(fd);
  rmdir(path);
}

void peil_atomic_cleanup_all(void) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (live_used[i]) unlink(live_paths[i]);
  for (int i = 0; i < MAX_DIRS; i++)
    if (dir_used[i]) remove_flat_dir(live_dirs[i]);
}

int peil_atomic_open(const char *target, peil_atomic_file **out) {
  *out = NULL;
  if (!target || !*target) return peil_error(PEIL_EINVAL, "no output path given");
  peil_atomic_file *f = calloc(1, sizeof *f);
  if (!f) return peil_error(PEIL_ENOMEM, "out of memory");
  f->fd = -1;
  f->slot = -1;
  f->target = strdup(target);
  /* Same directory as the target, so rename never crosses file systems. */
  const char *slash = strrchr(target, '/');
  size_t dirlen = slash ? (size_t)(slash - target) + 1 : 0;
  const char *base = slash ? slash + 1 : target;
  size_t n = dirlen + strlen(base) + 16;
  f->temp = malloc(n);
  if (!f->target || !f->temp) {
    peil_atomic_abort(f);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  snprintf(f->temp, n, "%.*s.%s.XXXXXX", (int)dirlen, target, base);
  f->fd = mkstemp(f->temp);
  if (f->fd < 0) {
    int e = errno;
    free(f->temp);
    f->temp = NULL;
    peil_atomic_abort(f);
    return peil_error(e == ENOENT || e == ENOTDIR || e == EACCES ? PEIL_EINVAL : PEIL_EIO,
                      "cannot create output beside '%s': %s", target, strerror(e));
  }
  /* mkstemp makes the file 0600; outputs are ordinary files. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(f->fd, 0666 & ~mask);
  f->slot = live_add(f->temp);
  *out = f;
  return PEIL_OK;
}

void *peil_atomic_stream(peil_atomic_file *f) {
  if (!f->fp && f->fd >= 0) {
    f->fp = fdopen(f->fd, "w");
    if (f->fp) setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
  }
  return f->fp;
}

const char *peil_atomic_temp_path(const peil_atomic_file *f) { return f->temp; }

static void atomic_free(peil_atomic_file *f) {
  live_remove(f->slot);
  free(f->target);
  free(f->temp);
  free(f);
}

int peil_atomic_commit(peil_atomic_file *f) {
  int rc = PEIL_OK;
  if (f->fp) {
    if (fflush(f->fp) != 0 || ferror(f->fp))
      rc = peil_error(PEIL_EIO, "writing '%s': %s", f->target, strerror(errno));
    if (rc == PEIL_OK && fsync(fileno(f->fp)) != 0 && errno != EINVAL)
      rc = peil_error(PEIL_EIO, "writing '%s': %s", f->target, strerror(errno));
    if (fclose(f->fp) != 0 && rc == PEIL_OK)
      rc = peil_error(PEIL_EIO, "closing '%s': %s", f->target, strerror(errno));
    f->fp = NULL;
    f->fd = -1;
  } else if (f->fd >= 0) {
    /* Written through the path (HDF5): make it durable before the rename. */
    if (fsync(f->fd) != 0 && errno != EINVAL)
      rc = peil_error(PEIL_EIO, "writing '%s': %s", f->target, strerror(errno));
    close(f->fd);
    f->fd = -1;
  }
  if (rc == PEIL_OK && rename(f->temp, f->target) != 0)
    rc = peil_error(PEIL_EIO, "cannot move output into place at '%s': %s", f->target,
                    strerror(errno));
  if (rc != PEIL_OK) unlink(f->temp);
  atomic_free(f);
  return rc;
}

void peil_atomic_abort(peil_atomic_file *f) {
  if (!f) return;
  if (f->fp)
    fclose(f->fp);
  else if (f->fd >= 0)
    close(f->fd);
  if (f->temp) unlink(f->temp);
  atomic_free(f);
}
