#!/bin/bash
# symbols-map.sh SNAPSHOT VMLINUX OUT: a System.map holding only the symbols the snapshot's KPTDUMP note names.
names=$(strings -n 4 "$1" | grep -oE '^SYMBOL\(([A-Za-z0-9_]+)\)' | sed -E 's/SYMBOL\((.*)\)/\1/' | sort -u)
nm "$2" | awk -v names="$names" 'BEGIN{n=split(names,a,"\n"); for(i=1;i<=n;i++) want[a[i]]=1} ($3 in want) && !seen[$3]++' | sort > "$3"
