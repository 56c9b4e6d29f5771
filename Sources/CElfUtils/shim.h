#ifndef KPTDUMP_CELFUTILS_SHIM_H
#define KPTDUMP_CELFUTILS_SHIM_H
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <dwarf.h>
#endif
