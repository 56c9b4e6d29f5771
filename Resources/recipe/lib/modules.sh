# Sourced by the stock-kernel recipes (debian-stock, debian-stock-arm64):
#   add_module NAME   copies NAME.ko and, first, its dependencies (modinfo's
#                     depends) from $MODDIR/kernel into $ROOT/lib/modules,
#                     decompressed (.ko.xz, .ko.zst), and appends each name to
#                     $ROOT/lib/modules/order, the guest's load order.
add_module() {
    local name="$1" ko dep
    ko=$(find "$MODDIR/kernel" -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" | head -1)
    [ -n "$ko" ] || { echo "module $name not found"; exit 1; }
    for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
        [ -f "$ROOT/lib/modules/$dep.ko" ] || add_module "$dep"
    done
    case "$ko" in
        *.xz) xz -dc "$ko" >"$ROOT/lib/modules/$name.ko" ;;
        *.zst) zstd -qdc "$ko" >"$ROOT/lib/modules/$name.ko" ;;
        *) cp "$ko" "$ROOT/lib/modules/$name.ko" ;;
    esac
    echo "$name" >>"$ROOT/lib/modules/order"
}
