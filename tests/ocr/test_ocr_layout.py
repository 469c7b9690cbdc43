from ocr.layout import group_rows
from ocr.types import OcrLine, Row


def box_line(text: str, x0: float, y0: float, x1: float, y1: float, score: float = 0.99) -> OcrLine:
    return OcrLine(text=text, score=score, box=((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def test_label_and_amount_on_one_line_become_one_row():
    rows = group_rows(
        [box_line("¥128.00", 300, 101, 420, 131, 0.92), box_line("实收", 20, 100, 80, 130)]
    )
    assert rows == [Row(text="实收 ¥128.00", score=0.92)]


def test_rows_are_ordered_top_to_bottom_whatever_the_input_order():
    lines = [
        box_line("合计", 20, 200, 80, 230),
        box_line("星巴克", 20, 10, 120, 40),
        box_line("244.00", 300, 198, 400, 228),
        box_line("日期", 20, 100, 80, 130),
    ]
    assert [row.text for row in group_rows(lines)] == ["星巴克", "日期", "合计 244.00"]


def test_adjacent_lines_stay_apart_despite_slight_overlap():
    # Boxes of neighbouring lines often overlap by a few pixels after unclipping.
    lines = [box_line("门店", 20, 100, 80, 134), box_line("单号", 20, 128, 80, 162)]
    assert [row.text for row in group_rows(lines)] == ["门店", "单号"]


def test_three_boxes_on_a_slightly_sloping_line_join_left_to_right():
    lines = [
        box_line("1", 250, 104, 270, 134),
        box_line("拿铁", 20, 100, 80, 130),
        box_line("36.00", 350, 108, 420, 138),
    ]
    assert group_rows(lines) == [Row(text="拿铁 1 36.00", score=0.99)]


def test_no_lines_no_rows():
    assert group_rows([]) == []
