"""Draw the example chat screenshots (evidence/data/examples/screenshots/chat-*.png) with Pillow.

The conversations are fictitious (see README.md beside it). Run from anywhere:

    python evidence/data/examples/make_screenshots.py

The output is deterministic for a given Pillow version, so the committed PNGs can be
regenerated and compared. Each image is 800x1200 and saved with a small palette to stay
well under 100 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent / "screenshots"
WIDTH, HEIGHT = 800, 1200
MARGIN = 24
BUBBLE_MAX = 520  # widest bubble, in pixels
PADDING = 14
#: Colours kept few so that the palette PNG stays small.
BACKGROUND = (236, 239, 243)
HEADER = (33, 64, 120)
SELLER_BUBBLE = (255, 255, 255)
BUYER_BUBBLE = (205, 234, 200)
TEXT = (28, 28, 30)
MUTED = (110, 114, 120)
PALETTE_COLOURS = 48

FONT = ImageFont.load_default(size=22)
SMALL = ImageFont.load_default(size=16)
TITLE = ImageFont.load_default(size=26)


@dataclass(frozen=True)
class Message:
    sender: str  # "buyer" or "seller"
    time: str
    text: str


CHAT_1 = (
    "2025-10-02",
    [
        Message(
            "buyer",
            "19:02",
            "Hi, are these AURORA Pulse X9 headphones genuine? "
            "The AURORA shop sells them for 349 EUR.",
        ),
        Message(
            "seller",
            "19:05",
            "Hello friend! 100% original AURORA, same factory, "
            "full warranty. We buy big stock so price is low.",
        ),
        Message("buyer", "19:06", "Can I get a serial number before I buy?"),
        Message("seller", "19:08", "Serial is inside the box. All customers are happy."),
        Message(
            "buyer",
            "19:10",
            "OK. I want 3 pairs. Total is more than 150 EUR, will I pay customs in Germany?",
        ),
        Message(
            "seller",
            "19:12",
            "No problem. Please buy 3 separate orders, 1 pair "
            "each. We ship 3 parcels, each under 150 EUR, so no customs.",
        ),
        Message("seller", "19:12", "Do not write 'AURORA' in the order note please."),
        Message("buyer", "19:15", "Done, I placed EM-7310452, EM-7310453 and EM-7310457."),
    ],
)

CHAT_2 = (
    "2025-10-16",
    [
        Message(
            "buyer",
            "10:21",
            "The headphones arrived. The box says 'AURURA' and "
            "the serial PX9-0A7731 does not exist on the AURORA website.",
        ),
        Message(
            "buyer",
            "10:22",
            "AURORA support says this serial was never made. These are counterfeit.",
        ),
        Message(
            "seller",
            "10:40",
            "They are original, from the same factory, only different packaging for export.",
        ),
        Message(
            "buyer",
            "10:41",
            "Then why does the serial fail? I want a full refund for all 3 orders.",
        ),
        Message(
            "seller",
            "10:47",
            "I can refund 20 EUR if you close the dispute and delete your review.",
        ),
        Message(
            "buyer", "10:50", "No. I am sending this chat to the AURORA brand protection team."
        ),
        Message("seller", "10:52", "Not necessary. This listing will be removed today anyway."),
    ],
)


def wrap(draw: ImageDraw.ImageDraw, text: str, width: int) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=FONT) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def render(day: str, messages: list[Message], path: Path) -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 96), fill=HEADER)
    draw.text((MARGIN, 18), "SoundPeak Direct", font=TITLE, fill=(255, 255, 255))
    draw.text(
        (MARGIN, 56), "ExampleMart seller chat - order questions", font=SMALL, fill=(200, 214, 240)
    )
    draw.text((WIDTH // 2, 124), day, font=SMALL, fill=MUTED, anchor="mm")

    line_height = 28
    y = 150
    for message in messages:
        lines = wrap(draw, message.text, BUBBLE_MAX - 2 * PADDING)
        text_width = max(int(draw.textlength(line, font=FONT)) for line in lines)
        bubble_w = text_width + 2 * PADDING
        bubble_h = len(lines) * line_height + 2 * PADDING + 16
        buyer = message.sender == "buyer"
        x0 = WIDTH - MARGIN - bubble_w if buyer else MARGIN
        draw.rounded_rectangle(
            (x0, y, x0 + bubble_w, y + bubble_h),
            radius=16,
            fill=BUYER_BUBBLE if buyer else SELLER_BUBBLE,
        )
        for i, line in enumerate(lines):
            draw.text((x0 + PADDING, y + PADDING + i * line_height), line, font=FONT, fill=TEXT)
        draw.text(
            (x0 + bubble_w - PADDING, y + bubble_h - 8),
            message.time,
            font=SMALL,
            fill=MUTED,
            anchor="rb",
        )
        y += bubble_h + 14
    if y > HEIGHT - 56:
        raise SystemExit(f"{path.name}: the messages do not fit in {HEIGHT} pixels")

    draw.rectangle((0, HEIGHT - 56, WIDTH, HEIGHT), fill=(255, 255, 255))
    draw.text((MARGIN, HEIGHT - 28), "Type a message...", font=FONT, fill=MUTED, anchor="lm")
    draw.text(
        (WIDTH - MARGIN, HEIGHT - 28), "FICTITIOUS EXAMPLE", font=SMALL, fill=MUTED, anchor="rm"
    )
    palette = image.quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    palette.save(path, optimize=True)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for number, (day, messages) in enumerate((CHAT_1, CHAT_2), start=1):
        render(day, messages, OUT / f"chat-{number}.png")


if __name__ == "__main__":
    main()
