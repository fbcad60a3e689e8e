"""Rebuild the shipped CJK font: `python yunwei/reports/render/fonts/build_font.py [source.ttc] [--gb2312]`.

Source: Noto Sans CJK SC Regular (Debian's fonts-noto-cjk, SIL Open Font License 1.1, OFL.txt here).
The subset keeps Latin, Greek, Cyrillic, the punctuation and symbol blocks a report uses, CJK Ext-A
(U+3400–U+4DBF, e.g. 䶮 U+4DAE) and the unified ideographs (all of U+4E00–U+9FFF, or only GB2312's with
--gb2312), and turns the CFF outlines into TrueType (glyf) outlines: ReportLab embeds only TrueType
outlines, and one file then serves the PDF and matplotlib's charts alike. Run by hand, not at install.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = "Noto Sans CJK SC"
TARGET = Path(__file__).with_name("YunweiSans-Regular.ttf")

BLOCKS = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x0100, 0x017F),  # Latin Extended-A (pinyin tone marks)
    (0x01CD, 0x01DC),  # pinyin with caron
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x218F),  # letterlike symbols, number forms (Ⅰ Ⅱ …)
    (0x2190, 0x22FF),  # arrows, mathematical operators
    (0x2460, 0x25FF),  # enclosed numbers, box drawing, blocks, geometric shapes (□ U+25A1)
    (0x2600, 0x26FF),  # miscellaneous symbols (★ ☆ ♀ ♂)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # kana (in GB2312)
    (0x3100, 0x312F),  # bopomofo
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility (㎡ ℃-like units)
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
]


def codepoints(gb2312_only: bool) -> set[int]:
    points = {cp for start, end in BLOCKS for cp in range(start, end + 1)}
    for cp in range(0x4E00, 0xA000):
        if gb2312_only:
            try:
                chr(cp).encode("gb2312")
            except UnicodeEncodeError:
                continue
        points.add(cp)
    return points


def to_truetype(font) -> None:
    """CFF outlines to quadratic glyf outlines (fontTools' otf2ttf snippet, 1 unit tolerance)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    for tag in ("VORG",):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: 27,000 CID names would only add size
    font.sfntVersion = "\000\001\000\000"


def rename(font) -> None:
    """A family name of its own: matplotlib and ReportLab must not pick an installed Noto CJK instead."""
    names = font["name"]
    for name_id, value in (
        (1, "Yunwei Sans"),
        (2, "Regular"),
        (4, "Yunwei Sans Regular"),
        (6, "YunweiSans-Regular"),
    ):
        names.removeNames(nameID=name_id)
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)
    for name_id in (16, 17):
        names.removeNames(nameID=name_id)


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    source = args[0] if args else SOURCE
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == FACE)
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "DSIG"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints("--gb2312" in argv))
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    target = Path(args[1]) if len(args) > 1 else TARGET
    font.save(str(target))
    print(target, target.stat().st_size, "bytes,", len(font.getGlyphOrder()), "glyphs")


if __name__ == "__main__":
    main(sys.argv[1:])
