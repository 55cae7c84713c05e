"""A demo catalog of about thirty resources that looks like Hubei's: every class, every share type, services
with and without 管控参数, one resource under review."""

from __future__ import annotations

from app.catalog.models import DataService, Resource
from app.catalog.services import create_resource, load_published, register_service, submit_for_review
from app.extensions import db
from app.org.models import Department, User


def _items(spec: str) -> list[dict]:
    """ "名称:类型:长度[:共享类型]; …" → item dicts."""
    items = []
    for part in spec.split(";"):
        name, data_type, length, *share = [p.strip() for p in part.split(":")]
        items.append({"name": name, "data_type": data_type, "length": int(length) if length else None,
                      "share_type": share[0] if share else None})  # fmt: skip
    return items


U, C, N = "unconditional", "conditional", "not_shared"
API, TABLE, FILE = "api", "table", "file"

# (provider, class, sub, name, summary, share type, method, format, cycle, items, extra)
RESOURCES = [
    ("湖北省公安厅", "base", "01", "人口基础信息", "全省户籍人口的公民身份号码、姓名、性别、民族、出生日期、户籍地址等基础信息。", U, API, "database", "daily",
     "公民身份号码:string:18;姓名:string:50;性别:string:2;民族:string:20;出生日期:date:;户籍地址:string:200", {}),
    ("湖北省公安厅", "base", "05", "居民身份证电子证照", "居民身份证电子证照的照面信息及签发机关。", U, API, "self_describing", "realtime",
     "证照编号:string:32;公民身份号码:string:18;姓名:string:50;有效期限:string:40;签发机关:string:100", {}),
    ("湖北省公安厅", "department", None, "机动车登记信息", "机动车号牌、车辆类型、登记日期、所有人等登记信息。", C, API, "database", "daily",
     "号牌号码:string:20;车辆类型:string:20;所有人姓名:string:50;登记日期:date:;使用性质:string:20",
     {"share_conditions": "仅限交通运输、税务、保险监管等部门为履行法定职责使用"}),
    ("湖北省公安厅", "department", None, "刑事案件侦查信息", "刑事案件立案、侦查过程中的案件信息。", N, TABLE, "database", "realtime",
     "案件编号:string:32;立案日期:date:;案件类别:string:50",
     {"legal_basis_type": "law", "legal_basis": "《中华人民共和国刑事诉讼法》关于侦查活动保密的规定"}),
    ("湖北省市场监督管理局", "base", "02", "法人单位基础信息", "全省各类市场主体的统一社会信用代码、名称、法定代表人、住所、成立日期、登记状态。", U, API, "database", "daily",
     "统一社会信用代码:string:18;单位名称:string:200;法定代表人:string:50;住所:string:200;成立日期:date:;登记状态:string:20", {}),
    ("湖北省市场监督管理局", "base", "05", "营业执照电子证照", "市场主体营业执照电子证照信息。", U, API, "self_describing", "realtime",
     "统一社会信用代码:string:18;名称:string:200;类型:string:50;经营范围:string:2000;登记机关:string:100", {}),
    ("湖北省市场监督管理局", "topic", "05", "食品生产许可信息", "食品生产许可证编号、生产者名称、许可品种明细及有效期。", U, FILE, "spreadsheet", "weekly",
     "许可证编号:string:20;生产者名称:string:200;食品类别:string:100;有效期至:date:", {}),
    ("湖北省市场监督管理局", "department", None, "行政处罚决定信息", "市场监管领域行政处罚决定书的公开信息。", U, TABLE, "database", "daily",
     "决定书文号:string:50;当事人名称:string:200;违法行为类型:string:100;处罚内容:string:1000;处罚日期:date:", {}),
    ("湖北省自然资源厅", "base", "03", "不动产登记信息", "不动产单元号、权利人、坐落、面积、用途及登记时间。", U, TABLE, "database", "daily",
     "不动产单元号:string:28;权利人:string:200;坐落:string:200;面积:number:;用途:string:50;登记时间:datetime:", {}),
    ("湖北省自然资源厅", "base", "03", "土地利用现状信息", "年度国土变更调查形成的土地利用现状图斑数据。", U, FILE, "document", "yearly",
     "图斑编号:string:30;地类名称:string:50;图斑面积:number:;行政区划代码:string:12", {}),
    ("湖北省发展和改革委员会", "base", "04", "公共信用信息", "行政许可、行政处罚、守信激励和失信惩戒等公共信用信息。", U, API, "database", "daily",
     "统一社会信用代码:string:18;主体名称:string:200;信息类别:string:50;认定日期:date:;认定部门:string:100", {}),
    ("湖北省发展和改革委员会", "topic", "16", "投资项目审批信息", "投资项目在线审批监管平台的项目代码、审批事项及办理结果。", U, API, "database", "realtime",
     "项目代码:string:24;项目名称:string:200;审批事项:string:100;办理结果:string:50;办结日期:date:", {}),
    ("湖北省发展和改革委员会", "topic", "17", "公共资源交易项目信息", "工程建设、政府采购等公共资源交易项目及成交结果。", U, FILE, "spreadsheet", "daily",
     "项目编号:string:30;项目名称:string:200;交易类型:string:20;成交金额:number:;成交日期:date:", {}),
    ("湖北省人力资源和社会保障厅", "topic", "03", "社会保险参保信息", "职工养老、失业、工伤保险的参保状态与缴费基数。", C, API, "database", "monthly",
     "公民身份号码:string:18;姓名:string:50;参保险种:string:20;参保状态:string:10;缴费基数:number:",
     {"share_conditions": "仅限民政、医保、住建、税务等部门核定社会救助、住房保障等待遇时使用"}),
    ("湖北省人力资源和社会保障厅", "topic", "03", "养老保险待遇领取信息", "企业职工基本养老保险待遇领取人员及月领取金额。", C, API, "database", "monthly",
     "公民身份号码:string:18;姓名:string:50;待遇类别:string:20;月领取金额:number:;领取起始年月:string:6",
     {"share_conditions": "仅限社会救助、待遇资格认证使用"}),
    ("湖北省人力资源和社会保障厅", "department", None, "就业登记信息", "劳动者就业登记、失业登记信息。", U, TABLE, "database", "daily",
     "公民身份号码:string:18;姓名:string:50;登记类型:string:10;用人单位:string:200;登记日期:date:", {}),
    ("湖北省民政厅", "department", None, "婚姻登记信息", "结婚、离婚登记的当事人及登记日期。", C, API, "database", "realtime",
     "男方公民身份号码:string:18;女方公民身份号码:string:18;登记类型:string:10;登记日期:date:;登记机关:string:100",
     {"share_conditions": "仅限公安、法院、不动产登记、公积金等部门办理相关业务时核验使用"}),
    ("湖北省民政厅", "department", None, "社会组织登记信息", "社会团体、民办非企业单位、基金会的登记信息。", U, TABLE, "database", "weekly",
     "统一社会信用代码:string:18;组织名称:string:200;组织类型:string:20;业务主管单位:string:100", {}),
    ("湖北省民政厅", "department", None, "最低生活保障对象信息", "城乡最低生活保障对象及保障金额。", C, API, "database", "monthly",
     "公民身份号码:string:18;姓名:string:50;保障类别:string:10;保障金额:number:;户籍地址:string:200:not_shared",
     {"share_conditions": "仅限社会救助、医疗救助、教育资助部门使用", "legal_basis_type": "administrative_regulation",
      "legal_basis": "《社会救助暂行办法》关于保护救助对象个人信息的规定"}),
    ("湖北省卫生健康委员会", "topic", "01", "出生医学证明信息", "新生儿出生医学证明编号、出生日期、父母身份信息。", C, API, "database", "daily",
     "出生医学证明编号:string:20;新生儿姓名:string:50;出生日期:date:;母亲公民身份号码:string:18;父亲公民身份号码:string:18",
     {"share_conditions": "仅限公安户籍登记、医保参保、社保卡办理使用"}),
    ("湖北省卫生健康委员会", "department", None, "医疗机构执业许可信息", "医疗机构名称、类别、执业许可证号及有效期。", U, TABLE, "database", "weekly",
     "执业许可证号:string:30;机构名称:string:200;机构类别:string:50;有效期至:date:", {}),
    ("湖北省教育厅", "department", None, "学籍信息", "全省中小学生学籍基本信息。", C, API, "database", "monthly",
     "全国学籍号:string:19;姓名:string:50;学校名称:string:200;年级:string:10",
     {"share_conditions": "仅限教育资助、社会救助、户籍业务核验使用"}),
    ("湖北省住房和城乡建设厅", "topic", "02", "住房公积金缴存信息", "住房公积金缴存人账户状态与缴存基数。", C, API, "database", "monthly",
     "公民身份号码:string:18;姓名:string:50;账户状态:string:10;缴存基数:number:",
     {"share_conditions": "仅限住房保障、社会救助资格审核使用"}),
    ("湖北省住房和城乡建设厅", "department", None, "建筑业企业资质信息", "建筑业企业资质证书编号、资质类别及等级。", U, TABLE, "database", "weekly",
     "证书编号:string:30;企业名称:string:200;资质类别:string:50;资质等级:string:20", {}),
    ("湖北省政务服务管理办公室", "department", None, "政务服务事项办件信息", "一网通办平台政务服务事项的受理、办结信息。", U, API, "database", "realtime",
     "办件编号:string:40;事项名称:string:200;申请人名称:string:200;受理日期:date:;办结日期:date:", {}),
    ("武汉市公安局", "base", "01", "武汉市户籍人口信息", "武汉市户籍人口的身份与户籍登记信息。", U, API, "database", "daily",
     "公民身份号码:string:18;姓名:string:50;户籍地址:string:200;户主关系:string:20", {}),
    ("武汉市人力资源和社会保障局", "topic", "03", "武汉市社会保险缴费信息", "武汉市参保单位及个人缴费明细。", C, API, "database", "monthly",
     "公民身份号码:string:18;缴费年月:string:6;缴费金额:number:;缴费单位:string:200",
     {"share_conditions": "仅限武汉市民政、住房保障部门待遇核定使用"}),
    ("武汉市市场监督管理局", "department", None, "武汉市个体工商户登记信息", "武汉市个体工商户名称、经营者、经营场所。", U, TABLE, "database", "daily",
     "统一社会信用代码:string:18;名称:string:200;经营者:string:50;经营场所:string:200", {}),
    ("孝感市市场监督管理局", "department", None, "孝感市市场主体登记信息", "孝感市各类市场主体登记信息。", U, TABLE, "database", "daily",
     "统一社会信用代码:string:18;名称:string:200;类型:string:50;成立日期:date:", {}),
    ("公安部", "base", "01", "全国人口基础信息（跨省核验）", "国家人口基础信息库的跨省身份核验服务，经国家共享平台申请（办法§18）。", U, API, "database", "realtime",
     "公民身份号码:string:18;姓名:string:50;户籍所在省份:string:20", {}),
    ("孝感市民政局", "department", None, "孝感市临时救助信息", "孝感市临时救助对象、救助金额与发放日期。", C, API, "database", "monthly",
     "公民身份号码:string:18;姓名:string:50;救助金额:number:;发放日期:date:",
     {"share_conditions": "仅限孝感市社会救助相关部门使用"}),
]  # fmt: skip

# (resource name, service name, method, endpoint, parameters [(name, controlled)])
SERVICES = [
    ("人口基础信息", "人口基础信息查询接口", "api", "https://share.hubei.gov.cn/api/population/basic",
     [("公民身份号码", False), ("行政区划代码", True)]),
    ("法人单位基础信息", "法人单位基础信息查询接口", "api", "https://share.hubei.gov.cn/api/legal-entity/basic",
     [("统一社会信用代码", False)]),
    ("营业执照电子证照", "营业执照电子证照调取接口", "api", "https://share.hubei.gov.cn/api/license/business",
     [("统一社会信用代码", False)]),
    ("社会保险参保信息", "参保信息核验接口", "api", "https://share.hubei.gov.cn/api/social-insurance/enrolment",
     [("公民身份号码", False), ("参保地行政区划代码", True)]),
    ("婚姻登记信息", "婚姻登记信息核验接口", "api", "https://share.hubei.gov.cn/api/marriage/verify",
     [("公民身份号码", False)]),
    ("不动产登记信息", "不动产登记信息库表交换", "table", None, []),
    ("公共资源交易项目信息", "公共资源交易项目数据文件", "file", None, []),
    ("武汉市户籍人口信息", "武汉市户籍人口核验接口", "api", "https://share.wuhan.gov.cn/api/population",
     [("公民身份号码", False), ("街道代码", True)]),
]  # fmt: skip


def seed_catalog() -> dict[str, int]:
    """Load the demo catalog once (idempotent) and put one new resource under review."""
    if db.session.scalar(db.select(Resource.id).limit(1)) is not None:
        return {"resources": 0, "services": 0}
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    departments = {d.name: d for d in db.session.scalars(db.select(Department))}
    by_name: dict[str, Resource] = {}
    for provider, cls, sub, name, summary, share, method, fmt, cycle, items, extra in RESOURCES:
        data = {"resource_class": cls, "subcategory": sub, "name": name, "summary": summary, "share_type": share,
                "share_method": method, "format": fmt, "update_cycle": cycle, "open_attribute": "closed",
                "usage_requirements": "仅用于申请时载明的用途，不得向第三方提供（办法§14、§24）", "items": _items(items), **extra}  # fmt: skip
        by_name[name] = load_published(admin, data, departments[provider])
    db.session.flush()
    for resource_name, service_name, method, endpoint, params in SERVICES:
        resource = by_name[resource_name]
        db.session.add(
            DataService(
                resource_id=resource.id,
                name=service_name,
                method=method,
                endpoint=endpoint,
                description=None
                if endpoint
                else f"{resource_name}（{'库表' if method == 'table' else '文件'}交换）",
                parameters=[{"name": n, "description": "", "controlled": c} for n, c in params],
                created_by_id=admin.id,
            )
        )
    db.session.commit()
    _one_under_review(departments)
    return {"resources": len(RESOURCES), "services": len(SERVICES)}


def _one_under_review(departments: dict[str, Department]) -> None:
    """A provincial department submits a new resource, so the supervisor has a review in the inbox."""
    clerk = db.session.scalar(db.select(User).where(User.username == "mz_clerk"))
    resource = create_resource(
        clerk,
        {"resource_class": "department", "name": "养老机构备案信息", "summary": "全省养老机构备案编号、名称、床位数及备案日期。",
         "share_type": "unconditional", "share_method": "table", "format": "database", "update_cycle": "monthly",
         "open_attribute": "open", "items": _items("备案编号:string:30;机构名称:string:200;床位数:number:;备案日期:date:")},
        provider=departments["湖北省民政厅"],
    )  # fmt: skip
    register_service(
        clerk, resource, {"name": "养老机构备案库表", "method": "table", "description": "养老机构备案表"}
    )
    submit_for_review(clerk, resource)
