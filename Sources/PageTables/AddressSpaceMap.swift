/// `kptdump map`: a picture of one page table's address space, as SVG.
///
/// Feed it the merger's events in listing order (`add`), then ask for `svg()`
/// or `html()`. It draws one band per `---[ NAME ]---` region the walk
/// announced, with the region's ranges in address order.
///
/// **The scale.** A region spans up to 2^47 bytes and a page is 4K, so a linear
/// scale would leave every 4K mapping far below a pixel. Each band is instead
/// fit to the full width on its own, in *units*: a range of `n` pages is
/// `1 + log2(n)` units wide (a 4K page 1, a 2M page 10, a 1G page 19 with 4K
/// pages), and a hole at most `holeUnits` (3), however large. So every mapped
/// range keeps a width that grows with its size, holes are squeezed to a
/// narrow gap, and the order of addresses is kept; but widths are not
/// proportional to bytes. Bytes are shown separately: each band carries a bar
/// of its mapped bytes by page size, reusing `ListingSummary`'s count (what
/// `list --summary` prints). Where ranges are narrower than a pixel (thousands
/// of 4K ranges in one band), each pixel column shows its most telling range:
/// W+X first, then a marked range, then the widest mapped one; the attribute
/// lanes under the bar show whether *any* range in the column is writable,
/// executable or user-accessible. The legend on the picture says the same.
///
/// Colours: the leaf level (page size) fills the bar, read-only ranges pale;
/// W+X ranges (the architecture's own rule, as the W+X check counts) are red
/// whatever their level; marked ranges (tables the walk could not read) are
/// hatched. Every drawn piece has a tooltip with its listing line.
public struct AddressSpaceMap {
    /// How a range is drawn.
    public enum Fill: Hashable, Sendable {
        case hole
        /// The walker could not follow an entry here.
        case marked
        /// Writable and executable by the architecture's rule: red.
        case writableExecutable
        /// A present leaf range at this level.
        case mapped(TableLevel, writable: Bool)

        /// Which range wins a pixel column: the higher, the more telling.
        var priority: Int {
            switch self {
            case .hole: return 0
            case .mapped: return 1
            case .marked: return 2
            case .writableExecutable: return 3
            }
        }
    }

    /// One range of the listing, classified for drawing.
    public struct Segment: Sendable {
        public var range: MappedRange
        public var fill: Fill
        public var access: RangeAccess
    }

    /// One marker region.
    public struct Band: Sendable {
        public var markerIndex: Int
        public var name: String
        /// The marker's address (the region may have been announced late, as
        /// x86's headers can lag; the ranges say where it really starts).
        public var markerStart: UInt64
        public var segments: [Segment] = []

        /// First address of the band's ranges (the marker's when it has none).
        public var first: UInt64 { segments.first?.range.start ?? markerStart }
        /// Last address (inclusive) of the band's ranges, so the top of the
        /// space fits; nil when it has none.
        public var last: UInt64? { segments.last.map { $0.range.end &- 1 } }
        /// True when something is drawn besides holes.
        public var hasMappings: Bool { segments.contains { $0.fill != .hole } }
    }

    /// Text for the title lines.
    public struct Options: Sendable {
        public var title: String
        public var subtitle: String
        /// Width of the picture in pixels.
        public var width: Int = 1400

        public init(title: String, subtitle: String = "", width: Int = 1400) {
            self.title = title
            self.subtitle = subtitle
            self.width = width
        }
    }

    /// Widest a hole is drawn, in units (a page is one unit).
    public static let holeUnits = 3.0

    public let architecture: any PagingArchitecture
    public let options: Options
    public private(set) var bands: [Band] = []
    /// Mapped bytes by page size per region, as `list --summary` counts them.
    public private(set) var summary: ListingSummary
    private let describe: (MappedRange) -> String

    /// `describe` gives a range's tooltip, normally its listing line; the
    /// default spells out the access the architecture decodes.
    public init(architecture: any PagingArchitecture, options: Options,
                describe: ((MappedRange) -> String)? = nil) {
        self.architecture = architecture
        self.options = options
        self.summary = ListingSummary(geometry: architecture.geometry)
        let arch = architecture
        self.describe = describe ?? { range in
            let a = arch.access(protection: range.protection, effective: range.effective)
            var words = [hex16(range.start) + "-" + hex16(range.end), range.level.name]
            if let p = range.problem { words.append(p.tag) } else if a.present {
                words += [a.writable ? "RW" : "ro", a.executable ? "x" : "NX"] + (a.user ? ["user"] : [])
            } else {
                words.append("hole")
            }
            return words.joined(separator: " ")
        }
    }

    /// Takes the next event of the walk.
    public mutating func add(_ event: ListingEvent) {
        switch event {
        case .marker(let index, let marker):
            bands.append(Band(markerIndex: index, name: marker.name, markerStart: marker.start))
        case .range(let range):
            if bands.last?.markerIndex != range.markerIndex {
                // Never seen: the merger announces a region before its ranges.
                bands.append(Band(markerIndex: range.markerIndex, name: "marker \(range.markerIndex)",
                                  markerStart: range.start))
            }
            let access = architecture.access(protection: range.protection, effective: range.effective)
            let wx = range.problem == nil && access.present
                && architecture.isWritableAndExecutable(protection: range.protection, effective: range.effective)
            let fill: Fill
            if range.problem != nil {
                fill = .marked
            } else if !access.present {
                fill = .hole
            } else if wx {
                fill = .writableExecutable
            } else {
                fill = .mapped(range.level, writable: access.writable)
            }
            bands[bands.count - 1].segments.append(Segment(range: range, fill: fill, access: access))
            summary.add(range, region: bands[bands.count - 1].name, access: access, isWX: wx)
        }
    }

    /// A range's width in units: `1 + log2(pages)`, holes capped at `holeUnits`.
    public func units(_ segment: Segment) -> Double {
        let pageShift = UInt64(architecture.geometry.pageShift)
        // A size of 0 is the whole 64-bit space (start == end after wrapping).
        let pages = segment.range.size == 0 ? UInt64(1) << (64 - pageShift) : max(1, segment.range.size >> pageShift)
        let u = 1 + Self.log2(pages)
        return segment.fill == .hole ? min(u, Self.holeUnits) : u
    }

    /// log2 without the C library: exact at powers of two, linear between
    /// them (off by less than 0.09), which is all a scale needs.
    static func log2(_ n: UInt64) -> Double {
        guard n > 1 else { return 0 }
        let k = 63 - n.leadingZeroBitCount
        return Double(k) + (Double(n) / Double(UInt64(1) << UInt64(k)) - 1)
    }

    /// Mapped bytes (and ranges) by level for one band, from the summary.
    public func bytesByLevel(_ band: Band) -> (bytes: [UInt64], ranges: [Int]) {
        var bytes = [UInt64](repeating: 0, count: 5)
        var ranges = [Int](repeating: 0, count: 5)
        for row in summary.rows where row.region == band.name {
            for i in 0..<5 {
                bytes[i] &+= row.bytes[i]
                ranges[i] += row.ranges[i]
            }
        }
        return (bytes, ranges)
    }

    /// Bytes one leaf maps at `level`, as the listing names them ("4K", "2M").
    public func pageSizeName(_ level: TableLevel) -> String { summary.pageSizeName(level) }
}

// MARK: - Laying a band out in pixel columns

extension AddressSpaceMap {
    /// A run of pixel columns drawn alike.
    struct Cell: Equatable {
        var x: Int
        var width: Int
        var fill: Fill
        /// Indices of the first and last segment the run covers.
        var first: Int
        var last: Int
        /// True when one segment fills the whole run.
        var single: Bool { first == last }
    }

    /// What one column shows: its fill, the segment that decided it, the
    /// segments it touches, and the attribute lanes (any of them).
    struct Column {
        var fill: Fill = .hole
        var winner = 0
        var winnerOverlap = -1.0
        var first = Int.max
        var last = 0
        var writable = false
        var executable = false
        var user = false
    }

    /// Rasterizes `segments` into `width` columns (see the type's comment on
    /// the scale), then joins neighbouring columns into cells.
    func layout(_ segments: [Segment], width: Int) -> (cells: [Cell], columns: [Column]) {
        guard !segments.isEmpty, width > 0 else { return ([], []) }
        let weights = segments.map(units)
        let total = weights.reduce(0, +)
        let scale = Double(width) / total
        var edges = [0.0]
        edges.reserveCapacity(segments.count + 1)
        var sum = 0.0
        for w in weights {
            sum += w
            edges.append(sum * scale)
        }
        edges[edges.count - 1] = Double(width)
        var columns = [Column](repeating: Column(), count: width)
        var i = 0
        for c in 0..<width {
            let lo = Double(c), hi = Double(c + 1)
            while i < segments.count && edges[i + 1] <= lo { i += 1 }
            var k = i
            while k < segments.count && edges[k] < hi {
                let overlap = min(hi, edges[k + 1]) - max(lo, edges[k])
                if overlap > 1e-9 {
                    let s = segments[k]
                    var col = columns[c]
                    col.first = min(col.first, k)
                    col.last = max(col.last, k)
                    let better = s.fill.priority > col.fill.priority
                        || (s.fill.priority == col.fill.priority && overlap > col.winnerOverlap)
                    if better || col.winnerOverlap < 0 {
                        col.fill = s.fill
                        col.winner = k
                        col.winnerOverlap = overlap
                    }
                    if s.fill != .hole && s.fill != .marked {
                        col.writable = col.writable || s.access.writable
                        col.executable = col.executable || s.access.executable
                        col.user = col.user || s.access.user
                    }
                    columns[c] = col
                }
                k += 1
            }
        }
        // Columns join a cell when drawn alike and either show the same single
        // range or are both crowded, so separate wide ranges stay separate.
        var cells: [Cell] = []
        for (c, col) in columns.enumerated() {
            let crowded = col.first != col.last
            if var cell = cells.last, cell.fill == col.fill,
               (cell.single && !crowded && cell.first == col.first) || (!cell.single && crowded) {
                cell.width += 1
                cell.first = min(cell.first, col.first)
                cell.last = max(cell.last, col.last)
                cells[cells.count - 1] = cell
            } else {
                cells.append(Cell(x: c, width: 1, fill: col.fill, first: col.first, last: col.last))
            }
        }
        return (cells, columns)
    }
}

// MARK: - Drawing

extension AddressSpaceMap {
    static let margin = 16
    /// Left edge of the bars; the lane letters sit before it.
    static let barLeft = 40
    static let barHeight = 26
    static let laneHeight = 5
    static let fullBandHeight = 96
    static let emptyBandHeight = 30
    static let shareBarWidth = 150
    static let shareTextWidth = 230

    /// The CSS class of a fill.
    static func cssClass(_ fill: Fill) -> String {
        switch fill {
        case .hole: return "hole"
        case .marked: return "marked"
        case .writableExecutable: return "wx"
        case .mapped(let level, let writable): return level.name + (writable ? "" : " ro")
        }
    }

    static let styleSheet = """
        text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;fill:#222}
        .mono{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace}
        .title{font-size:18px;font-weight:bold}
        .sub{font-size:12px;fill:#555}
        .legend{font-size:11px}
        .name{font-size:13px;font-weight:bold}
        .info{font-size:12px;fill:#444}
        .addr{font-size:10px;fill:#666}
        .size{font-size:10px;fill:#fff;text-anchor:middle}
        .holesize{font-size:9px;fill:#999;text-anchor:middle}
        .lanename{font-size:8px;fill:#888;text-anchor:end}
        .warn{fill:#c00;font-weight:bold}
        .hole{fill:#ececec}
        .empty{fill:#f4f4f4}
        .pte{fill:#d99a00}
        .pmd{fill:#3f9142}
        .pud{fill:#2c5fa8}
        .p4d{fill:#8a4fb0}
        .pgd{fill:#7a5230}
        .ro{fill-opacity:.4}
        .wx{fill:#e00000}
        .marked{fill:url(#hatch)}
        .lane{fill:#555}
        .lanebg{fill:#f7f7f7}
        .frame{fill:none;stroke:#bbb;stroke-width:.5}
        .crowded{fill:#666}
        """

    /// The picture as a standalone SVG document.
    public func svg() -> String { document(xmlDeclaration: true) }

    func document(xmlDeclaration: Bool) -> String {
        var out = SVGWriter()
        let width = options.width
        var body = SVGWriter()
        var y = legend(into: &body)
        // Addresses line up in a column after the longest region name.
        let nameColumn = Self.margin + 12 + (bands.map { SVGWriter.textWidth($0.name, size: 13, bold: true) }.max() ?? 0)
        for band in bands {
            y = draw(band, at: y, nameColumn: nameColumn, into: &body)
        }
        let height = y + Self.margin
        if xmlDeclaration { out.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
        out.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n")
        out.raw("<title>")
        out.text(options.title)
        out.raw("</title>\n<defs>\n<style>\n")
        out.raw(Self.styleSheet)
        out.raw("\n</style>\n")
        out.raw("<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">")
        out.raw("<rect width=\"6\" height=\"6\" fill=\"#ddd\"/><rect width=\"3\" height=\"6\" fill=\"#222\"/></pattern>\n")
        out.raw("</defs>\n")
        out.raw("<rect width=\"\(width)\" height=\"\(height)\" fill=\"#fff\"/>\n")
        out.raw(body.output)
        out.raw("</svg>\n")
        return out.output
    }

    /// The SVG inside a minimal HTML page.
    public func html() -> String {
        var out = SVGWriter()
        out.raw("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        out.text(options.title)
        out.raw("</title><style>body{margin:0;background:#fff}</style></head>\n<body>\n")
        out.raw(document(xmlDeclaration: false))
        out.raw("</body></html>\n")
        return out.output
    }

    /// Title, subtitle and legend; returns the y where the first band goes.
    func legend(into out: inout SVGWriter) -> Int {
        let m = Self.margin
        out.element("text", ["x": "\(m)", "y": "26", "class": "title"], text: options.title)
        var y = 26
        if !options.subtitle.isEmpty {
            y += 18
            out.element("text", ["x": "\(m)", "y": "\(y)", "class": "sub"], text: options.subtitle)
        }
        y += 24
        // Swatches: the page sizes this table uses (all three common ones when
        // it maps nothing yet), then the special fills.
        var levels = summary.usedLevels
        if levels.isEmpty { levels = [.pte, .pmd, .pud] }
        var swatches: [(String, String)] = levels.map { (Self.cssClass(.mapped($0, writable: true)), "\(pageSizeName($0)) (\($0.name))") }
        swatches += levels.prefix(1).map { (Self.cssClass(.mapped($0, writable: false)), "read-only: pale") }
        swatches += [("wx", "W+X"), ("marked", "marked: table not walked"), ("hole", "hole (compressed)"),
                      ("crowded", "top edge: several ranges per pixel")]
        var x = m
        for (cls, label) in swatches {
            if cls == "crowded" {
                out.element("rect", ["x": "\(x)", "y": "\(y - 10)", "width": "22", "height": "12", "class": "hole"])
                out.element("rect", ["x": "\(x)", "y": "\(y - 10)", "width": "22", "height": "3", "class": cls])
            } else {
                out.element("rect", ["x": "\(x)", "y": "\(y - 10)", "width": "22", "height": "12", "class": cls])
            }
            out.element("text", ["x": "\(x + 27)", "y": "\(y)", "class": "legend"], text: label)
            x += 27 + SVGWriter.textWidth(label, size: 11) + 18
        }
        let lines = [
            "Under each bar, lanes W, X, U: some range in that pixel column is writable, executable, user-accessible. Hover for each range's listing line.",
            "Scale: every band is fit to the full width on its own, ranges in address order. A range of n pages is 1 + log2(n) units wide (\(unitExamples));",
            "a hole is at most 3 units however large, so widths are not proportional to bytes. A pixel column holding several ranges shows W+X first, then marked, then the widest mapped range.",
            "Bar at the right of each band: the region's mapped bytes by page size, each size's share of the bytes and (its number of ranges), as list --summary counts them;",
            "there a direct map split into small pages shows at a glance.",
        ]
        for line in lines {
            y += 16
            out.element("text", ["x": "\(m)", "y": "\(y)", "class": "legend"], text: line)
        }
        return y + 22
    }

    /// One band; returns the y below it.
    func draw(_ band: Band, at top: Int, nameColumn: Int, into out: inout SVGWriter) -> Int {
        let m = Self.margin
        let left = Self.barLeft
        let barWidth = options.width - left - m
        out.raw("<g class=\"band\" data-region=\"")
        out.text(band.name)
        out.raw("\">\n")
        defer { out.raw("</g>\n") }

        // Header: name, addresses, what is mapped; shares by page size at the right.
        let (bytes, ranges) = bytesByLevel(band)
        let mapped = bytes.reduce(0, &+)
        let mappedRanges = ranges.reduce(0, +)
        let marked = band.segments.filter { $0.fill == .marked }.count
        let wxPages = band.segments.filter { $0.fill == .writableExecutable }
            .reduce(UInt64(0)) { $0 &+ ($1.range.size >> UInt64(architecture.geometry.pageShift)) }
        let baseline = top + 14
        out.element("text", ["x": "\(m)", "y": "\(baseline)", "class": "name"], text: band.name)
        var x = nameColumn
        // A region announced with no range of its own (arm64's "... end"
        // markers often are) shows only where its marker is.
        let span = band.last.map { hex16(band.first) + " – " + hex16($0) } ?? "at " + hex16(band.markerStart)
        out.element("text", ["x": "\(x)", "y": "\(baseline)", "class": "info mono"], text: span)
        x += SVGWriter.textWidth(span, size: 12, mono: true) + 12
        var info = band.segments.isEmpty ? "no ranges" : mapped == 0 ? "nothing mapped" : "\(Self.bytesText(mapped)) mapped in \(mappedRanges) range" + (mappedRanges == 1 ? "" : "s")
        if band.segments.count > barWidth { info += ", ~\(band.segments.count / barWidth) ranges per pixel" }
        out.element("text", ["x": "\(x)", "y": "\(baseline)", "class": "info"], text: info)
        x += SVGWriter.textWidth(info, size: 12) + 12
        if wxPages > 0 {
            let text = "\(wxPages) W+X page" + (wxPages == 1 ? "" : "s")
            out.element("text", ["x": "\(x)", "y": "\(baseline)", "class": "info warn"], text: text)
            x += SVGWriter.textWidth(text, size: 12, bold: true) + 12
        }
        if marked > 0 {
            out.element("text", ["x": "\(x)", "y": "\(baseline)", "class": "info warn"], text: "\(marked) marked")
        }
        if mapped > 0 { drawShares(bytes: bytes, ranges: ranges, baseline: baseline, into: &out) }

        guard band.hasMappings else {
            out.element("rect", ["x": "\(left)", "y": "\(top + 20)", "width": "\(barWidth)", "height": "6", "class": "empty"])
            return top + Self.emptyBandHeight
        }
        let barTop = top + 22
        let (cells, columns) = layout(band.segments, width: barWidth)
        for cell in cells { drawCell(cell, of: band, left: left, top: barTop, into: &out) }
        out.element("rect", ["x": "\(left)", "y": "\(barTop)", "width": "\(barWidth)", "height": "\(Self.barHeight)", "class": "frame"])

        // Attribute lanes, each drawn as runs of set columns.
        let lanes: [(String, KeyPath<Column, Bool>)] = [("W", \.writable), ("X", \.executable), ("U", \.user)]
        for (n, (name, key)) in lanes.enumerated() {
            let laneTop = barTop + Self.barHeight + 3 + n * (Self.laneHeight + 3)
            out.element("text", ["x": "\(left - 4)", "y": "\(laneTop + Self.laneHeight)", "class": "lanename"], text: name)
            out.element("rect", ["x": "\(left)", "y": "\(laneTop)", "width": "\(barWidth)", "height": "\(Self.laneHeight)", "class": "lanebg"])
            var c = 0
            while c < columns.count {
                guard columns[c][keyPath: key] else { c += 1; continue }
                var e = c
                while e < columns.count && columns[e][keyPath: key] { e += 1 }
                out.element("rect", ["x": "\(left + c)", "y": "\(laneTop)", "width": "\(e - c)", "height": "\(Self.laneHeight)", "class": "lane"])
                c = e
            }
        }
        let addrY = barTop + Self.barHeight + 3 + 3 * (Self.laneHeight + 3) + 10
        out.element("text", ["x": "\(left)", "y": "\(addrY)", "class": "addr mono"], text: hex16(band.first))
        if let last = band.last {
            var attributes = ["x": "\(left + barWidth)", "y": "\(addrY)", "class": "addr mono"]
            attributes["text-anchor"] = "end"
            out.element("text", attributes, text: hex16(last))
        }
        return top + Self.fullBandHeight
    }

    /// One cell of the bar, with its tooltip and, when it fits, its size.
    func drawCell(_ cell: Cell, of band: Band, left: Int, top: Int, into out: inout SVGWriter) {
        let segments = band.segments
        let tip: String
        if cell.single {
            tip = describe(segments[cell.first].range)
        } else {
            let a = segments[cell.first].range.start
            let b = segments[cell.last].range.end &- 1
            let mappedCount = segments[cell.first...cell.last].filter { $0.fill != .hole }.count
            tip = "\(cell.last - cell.first + 1) ranges (\(mappedCount) mapped or marked) \(hex16(a)) – \(hex16(b))"
        }
        // A hairline of white between separate single ranges.
        let gap = cell.single && cell.width >= 4 ? 1 : 0
        out.raw("<rect x=\"\(left + cell.x)\" y=\"\(top)\" width=\"\(cell.width - gap)\" height=\"\(Self.barHeight)\" class=\"\(Self.cssClass(cell.fill))\"><title>")
        out.text(tip)
        out.raw("</title></rect>\n")
        guard cell.single else {
            // Pixels that merge several ranges get a grey top edge, so that a
            // solid run of them is not read as one range.
            out.element("rect", ["x": "\(left + cell.x)", "y": "\(top)", "width": "\(cell.width)", "height": "3", "class": "crowded"])
            return
        }
        let size = Self.sizeLabel(segments[cell.first].range.size)
        let isHole = cell.fill == .hole
        guard SVGWriter.textWidth(size, size: isHole ? 9 : 10) + 4 <= cell.width - gap else { return }
        var attributes = ["x": "\(left + cell.x + (cell.width - gap) / 2)", "y": "\(top + Self.barHeight / 2 + 4)"]
        attributes["class"] = isHole ? "holesize" : "size"
        out.element("text", attributes, text: size)
    }

    /// The stacked bar of mapped bytes by page size, with the shares in words.
    func drawShares(bytes: [UInt64], ranges: [Int], baseline: Int, into out: inout SVGWriter) {
        let total = bytes.reduce(0, &+)
        let words = TableLevel.allCases.reversed().filter { bytes[$0.rawValue] != 0 }.map { level -> String in
            let i = level.rawValue
            return "\(pageSizeName(level)) \(Self.percent(bytes[i], of: total)) (\(ranges[i]))"
        }.joined(separator: "  ")
        let text = words
        // A fixed place, so the bars line up from band to band.
        let barLeft = options.width - Self.margin - Self.shareTextWidth - 8 - Self.shareBarWidth
        var x = barLeft
        var used = 0
        let levels = TableLevel.allCases.reversed().filter { bytes[$0.rawValue] != 0 }
        for (n, level) in levels.enumerated() {
            let b = bytes[level.rawValue]
            var w = Int((Double(b) / Double(total) * Double(Self.shareBarWidth)).rounded())
            if n == levels.count - 1 { w = Self.shareBarWidth - used }
            w = max(w, 1)
            out.raw("<rect x=\"\(x)\" y=\"\(baseline - 10)\" width=\"\(w)\" height=\"11\" class=\"share \(level.name)\"><title>")
            out.text("\(pageSizeName(level)) pages: \(Self.bytesText(b)) in \(ranges[level.rawValue]) ranges")
            out.raw("</title></rect>\n")
            x += w
            used += w
        }
        out.element("rect", ["x": "\(barLeft)", "y": "\(baseline - 10)", "width": "\(Self.shareBarWidth)", "height": "11", "class": "frame"])
        out.element("text", ["x": "\(barLeft + Self.shareBarWidth + 8)", "y": "\(baseline)", "class": "legend"], text: text)
    }

    /// "one 4K page = 1, 2M = 10, 1G = 19": the units of one leaf at each
    /// level this paging form has, so the legend fits 4K, 16K and 64K pages.
    var unitExamples: String {
        let g = architecture.geometry
        var parts = ["one \(pageSizeName(.pte)) page = 1"]
        for level in [TableLevel.pmd, .pud] where !g[level].isFolded && g.entrySpan(level) > g.pageSize {
            let pages = g.entrySpan(level) >> UInt64(g.pageShift)
            parts.append("\(pageSizeName(level)) = \(1 + Int(Self.log2(pages)))")
        }
        return parts.joined(separator: ", ")
    }

    /// A range's size as the listing prints it ("2044K"), or rounded
    /// ("≈4.0T") where the listing's exact form would be long ("4193792M").
    static func sizeLabel(_ size: UInt64) -> String {
        let exact = PtdumpSize.text(size)
        guard exact.count > 5 else { return exact }
        let units = ["K", "M", "G", "T", "P", "E"]
        var unit = -1
        var whole = size
        while whole >= 1024 && unit + 1 < units.count {
            whole >>= 10
            unit += 1
        }
        guard unit >= 0 else { return exact }
        let divisor = UInt64(1) << UInt64(10 * (unit + 1))
        let tenths = (size % divisor) * 10 / divisor
        return whole >= 100 ? "≈\(whole)\(units[unit])" : "≈\(whole).\(tenths)\(units[unit])"
    }

    /// Bytes in binary units with one decimal: `1.5 GiB`.
    static func bytesText(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var unit = 0
        var scaled = bytes
        while scaled >= 1024 && unit + 1 < units.count {
            scaled >>= 10
            unit += 1
        }
        guard unit > 0 else { return "\(bytes) B" }
        let divisor = UInt64(1) << UInt64(10 * unit)
        let tenths = (bytes % divisor) * 10 / divisor
        return tenths == 0 ? "\(scaled) \(units[unit])" : "\(scaled).\(tenths) \(units[unit])"
    }

    /// `part / whole` as a percentage; "<1%" rather than a misleading 0.
    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        guard whole > 0 else { return "0%" }
        let p = Double(part) / Double(whole) * 100
        if part > 0 && p < 1 { return "<1%" }
        return "\(Int(p.rounded()))%"
    }
}

/// Builds SVG (and HTML) text with every attribute and text node escaped.
struct SVGWriter {
    private(set) var output = ""

    mutating func raw(_ s: String) { output += s }

    /// Appends `s` escaped for text and attribute values.
    mutating func text(_ s: String) { output += Self.escape(s) }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0 at all.
                if c.value < 0x20 && c != "\t" && c != "\n" { out += "?" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// `<name a="v" ...>text</name>`, or self-closed without text; attributes
    /// in name order so the output is stable.
    mutating func element(_ name: String, _ attributes: [String: String], text: String? = nil) {
        output += "<" + name
        for key in attributes.keys.sorted() {
            output += " " + key + "=\"" + Self.escape(attributes[key] ?? "") + "\""
        }
        if let text {
            output += ">" + Self.escape(text) + "</" + name + ">\n"
        } else {
            output += "/>\n"
        }
    }

    /// A rough width of `s` in pixels, enough to keep labels from colliding.
    static func textWidth(_ s: String, size: Int, bold: Bool = false, mono: Bool = false) -> Int {
        let perChar = mono ? 0.61 : (bold ? 0.68 : 0.57)
        return Int((Double(s.count) * Double(size) * perChar).rounded(.up))
    }
}
