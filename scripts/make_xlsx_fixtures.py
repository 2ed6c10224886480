"""Writes the .xlsx test fixtures with openpyxl, a writer independent of our reader.

Run: .tools/venv/bin/pip install openpyxl && .tools/venv/bin/python scripts/make_xlsx_fixtures.py
The files are committed; tests never run this.

tests/fixtures/leads-zh.xlsx, first sheet "线索" (a second sheet must be ignored):
  线索 | 公司 | 电话 (a number cell) | 邮箱 | 来源 | 备注 | 创建时间 (a date cell)
  12 leads; row 5 is blank; row 8's company has "&" and "<"; rows 11 and 12 repeat the
  email of rows 1 and 2 (duplicates).
tests/fixtures/deals-en.xlsx, written by XlsxWriter (shared strings, where openpyxl writes
  inline strings): a deal list with a date-formatted "Created" column and an amount as a
  number, for the Import & export page's column matching.
"""
import datetime
from openpyxl import Workbook

wb = Workbook()
ws = wb.active
ws.title = "线索"
ws.append(["线索", "公司", "电话", "邮箱", "来源", "备注", "创建时间"])
companies = ["杭州云帆科技有限公司", "北京金石物流", "上海星河食品", "深圳青松医疗", "成都明德教育",
             "蓝河食品", "A&B <贸易>", "华宇软件", "瑞丰农业", "远景能源"]
sources = ["展会", "官网", "转介绍", "电话拓客"]
row = 0
for i in range(1, 13):
    if i == 5:
        ws.append([None] * 7)
    c = companies[(i - 1) % 10] if i <= 10 else f"另一家公司{i}"
    email = f"lead{i}@example.cn" if i <= 10 else f"lead{i - 10}@example.cn"
    ws.append([f"联系人{i}", c, 13900000000 + i, email, sources[i % 4], f"第{i}条",
               datetime.datetime(2026, 11, i, 9, 30)])
other = wb.create_sheet("说明")
other.append(["这张表不应被读取"])
wb.save("tests/fixtures/leads-zh.xlsx")

import xlsxwriter

book = xlsxwriter.Workbook("tests/fixtures/deals-en.xlsx")
sheet = book.add_worksheet("Deals")
day = book.add_format({"num_format": "yyyy/mm/dd"})
for col, h in enumerate(["Title", "Account", "Amount", "Currency", "Stage", "Created"]):
    sheet.write_string(0, col, h)
for i, stage in enumerate(["Qualification", "Demo", "Proposal", "Negotiation", "Won"], start=1):
    sheet.write_string(i, 0, f"Deal {i}")
    sheet.write_string(i, 1, f"Account {i} & Co")
    sheet.write_number(i, 2, 1000 * i + 0.5)
    sheet.write_string(i, 3, "USD")
    sheet.write_string(i, 4, stage)
    sheet.write_datetime(i, 5, datetime.datetime(2026, 10, i), day)
book.close()
