/* The page codecs of makedumpfile's kdump-compressed format. Only
   KernelDump/PageCodec.swift calls them. */
#include <zlib.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zstd.h>

/* lzo_init() is a macro; Swift cannot call it. */
static inline int kptdump_lzo_init(void) { return lzo_init(); }
