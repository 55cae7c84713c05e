"""Catalog search benchmark: 100,000 published resources with 1,000,000 data items; p50/p95 of searches
through the same service function the pages and the API use (catalog.services.browse).

    .venv/bin/python bench/catalog_search_bench.py [--resources 100000] [--items-per-resource 10] [--queries 300]

SQLite in a temporary file by default; DATABASE_URL=postgresql+psycopg://… measures PostgreSQL (its tables
are dropped and recreated). Rows are generated in bulk (not through the review process) and indexed with
the same bigram function publication uses.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

REGIONS = [
    "湖北省",
    "武汉市",
    "黄石市",
    "十堰市",
    "宜昌市",
    "襄阳市",
    "鄂州市",
    "荆门市",
    "孝感市",
    "荆州市",
    "黄冈市",
    "咸宁市",
    "随州市",
    "恩施州",
]
SUBJECTS = [
    "人口",
    "户籍",
    "法人单位",
    "企业登记",
    "社会保险",
    "养老保险",
    "医疗保险",
    "失业保险",
    "婚姻登记",
    "不动产登记",
    "住房公积金",
    "学籍",
    "出生医学证明",
    "死亡登记",
    "殡葬",
    "低保",
    "临时救助",
    "残疾人",
    "退役军人",
    "税务登记",
    "纳税信用",
    "行政处罚",
    "行政许可",
    "食品生产许可",
    "药品经营许可",
    "医疗机构执业",
    "建筑业资质",
    "交通违法",
    "机动车登记",
    "驾驶证",
    "道路运输",
    "水利工程",
    "土地利用",
    "矿产资源",
    "林权",
    "环境监测",
    "排污许可",
    "公共资源交易",
    "政府采购",
    "投资项目",
    "招标投标",
    "科技成果",
    "专利",
    "商标",
    "文物",
    "旅游",
    "体育场馆",
    "气象观测",
    "地震监测",
    "应急物资",
    "安全生产",
    "特种设备",
    "价格监测",
    "统计调查",
    "审计结果",
    "信访",
    "法律援助",
    "公证",
    "司法鉴定",
    "社区矫正",
]
KINDS = ["信息", "基础信息", "登记信息", "明细", "名单", "统计数据", "办理结果", "核验信息"]
ITEMS = [
    "公民身份号码",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "户籍地址",
    "统一社会信用代码",
    "单位名称",
    "法定代表人",
    "注册地址",
    "成立日期",
    "登记状态",
    "证照编号",
    "有效期限",
    "发证机关",
    "办理日期",
    "办结日期",
    "金额",
    "缴费基数",
    "参保状态",
    "行政区划代码",
    "坐落",
    "面积",
    "用途",
    "权利人",
    "项目编号",
    "项目名称",
    "许可证编号",
    "处罚决定书文号",
    "联系电话",
    "经营范围",
    "资质等级",
    "学校名称",
    "年级",
    "救助金额",
    "车牌号码",
    "车辆类型",
    "检测结果",
    "监测时间",
    "备注",
]
QUERIES = [
    "人口",
    "户籍",
    "社会保险",
    "养老",
    "婚姻",
    "不动产",
    "公积金",
    "学籍",
    "低保",
    "救助",
    "处罚",
    "许可",
    "机动车",
    "土地",
    "环境",
    "交易",
    "专利",
    "信访",
    "公证",
    "医疗",
    "社保",
    "身份号码",
    "信用代码",
    "缴费基数",
    "车牌",
    "坐落",
    "武汉",
    "孝感",
    "恩施",
    "登记",
    "核验",
    "明细",
    "名单",
    "项目",
    "监测",
    "殡葬",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--items-per-resource", type=int, default=10)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already loaded DATABASE_URL (skip loading)"
    )
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from sqlalchemy import text

    from app.catalog import search, services
    from app.catalog.models import DataItem, Resource, ResourceVersion, SearchTerm
    from app.extensions import db
    from app.org.models import Department

    url = database_url("search")
    app = bench_app(url)
    rng = random.Random(2026)
    with app.app_context():
        reuse = (
            args.reuse
            and db.inspect(db.engine).has_table("resource")
            and (db.session.scalar(text("SELECT count(*) FROM resource")) >= args.resources)
        )
        if not reuse:
            fresh_database(url)
        departments = list(db.session.scalars(db.select(Department)))
        started = time.perf_counter()
        connection = db.session.connection()
        batch = 5_000
        item_count = term_count = 0
        for first in range(0, 0 if reuse else args.resources, batch):
            resources, versions, items, terms = [], [], [], []
            for n in range(first, min(args.resources, first + batch)):
                rid = n + 1
                dept = departments[n % len(departments)]
                name = f"{rng.choice(REGIONS)}{rng.choice(SUBJECTS)}{rng.choice(KINDS)}"
                summary = f"{name}，包括{rng.choice(SUBJECTS)}相关的{rng.choice(KINDS)}，按{rng.choice(['日', '月', '季度'])}更新。"
                names = rng.sample(ITEMS, args.items_per_resource)
                share = rng.choice(["unconditional", "unconditional", "conditional", "not_shared"])
                resources.append(
                    {
                        "id": rid,
                        "code": f"3{dept.region.code}/{rid:06d}",
                        "resource_class": "department",
                        "provider_department_id": dept.id,
                        "status": "published",
                        "name": name,
                        "share_type": share,
                        "update_cycle": "monthly",
                        "provider_level": dept.level,
                        "search_text": search.search_text_of(name, summary, names),
                    }
                )
                versions.append(
                    {
                        "id": rid,
                        "resource_id": rid,
                        "number": 1,
                        "status": "published",
                        "name": name,
                        "summary": summary,
                        "share_type": share,
                        "related_codes": [],
                    }
                )
                items.extend(
                    {"version_id": rid, "seq": i + 1, "name": item, "data_type": "string"}
                    for i, item in enumerate(names)
                )
                terms.extend(
                    {"term": t, "resource_id": rid} for t in search.bigrams(resources[-1]["search_text"])
                )
            connection.execute(Resource.__table__.insert(), resources)
            connection.execute(ResourceVersion.__table__.insert(), versions)
            connection.execute(DataItem.__table__.insert(), items)
            connection.execute(SearchTerm.__table__.insert(), terms)
            item_count += len(items)
            term_count += len(terms)
        db.session.commit()
        if reuse:
            pass
        elif url.startswith("postgresql"):
            # What autovacuum does in production: statistics, and a visibility map for index-only scans.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
                autocommit.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        load_time = time.perf_counter() - started

        timings: dict[str, list[float]] = {"text": [], "text+filter": [], "filter only": []}
        hits = []
        slowest: list[tuple[float, str]] = []
        for n in range(args.queries):
            query = rng.choice(QUERIES)
            kind = ("text", "text+filter", "filter only")[n % 3]
            kwargs = {"query": query} if kind != "filter only" else {}
            if kind != "text":
                kwargs |= {
                    "share_type": rng.choice(["unconditional", "conditional"]),
                    "level": rng.choice(["province", "city"]),
                }
            t0 = time.perf_counter()
            page = services.browse(**kwargs)
            elapsed = (time.perf_counter() - t0) * 1000
            timings[kind].append(elapsed)
            slowest.append((elapsed, f"{kind} {kwargs} → {page.total_text} hits"))
            hits.append(page.total)
            db.session.rollback()

    everything = sorted(x for values in timings.values() for x in values)
    print(f"database: {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}")
    print(
        f"loaded {args.resources:,} resources, {item_count:,} items, {term_count:,} index rows in {load_time:.0f} s"
    )
    for kind, values in timings.items():
        print(
            f"{kind:>12}: p50 {percentile(values, 0.5):6.1f} ms  p95 {percentile(values, 0.95):6.1f} ms  (n={len(values)})"
        )
    print(
        f"all queries: p50 {percentile(everything, 0.5):.1f} ms, p95 {percentile(everything, 0.95):.1f} ms (target p95 < 50 ms); "
        f"median hits {statistics.median(hits):.0f}"
    )
    print("slowest:")
    for elapsed, what in sorted(slowest, reverse=True)[:5]:
        print(f"  {elapsed:6.1f} ms  {what}")


if __name__ == "__main__":
    main()
