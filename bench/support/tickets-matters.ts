/**
 * What the ticket-list bench fills its 1,000,000 tickets with: matters a 12345 hotline hears every day
 * (with their category, domain, subdomain and the unit that usually handles them) and places across
 * the eight counties of 庆阳. `unit`: a unit code, or '@town' / '@county' for the town or county
 * government of the place. `weight`: how often the matter comes up relative to the others.
 */
export interface Matter { text: string; category: string; domain: string; subdomain: string; unit: string; weight: number }

const m = (weight: number, category: string, domain: string, subdomain: string, unit: string, text: string): Matter => ({ text, category, domain, subdomain, unit, weight });

export const MATTERS: Matter[] = [
  m(40, 'complaint', 'ecological_environment', 'air', 'QY-STHJJ', '小区楼下烧烤店每晚营业到凌晨，油烟直排进居民家中，窗户都不敢开，多次反映未解决'),
  m(35, 'complaint', 'ecological_environment', 'noise', 'QY-CGZFJ', '附近工地夜间施工噪音扰民，晚上十一点以后仍在打桩，严重影响休息'),
  m(35, 'help', 'public_service', 'heating', 'QY-ZJJ', '家中暖气不热，室内温度只有十四度左右，供暖温度不达标，请求协调供热公司上门检修'),
  m(30, 'consultation', 'public_service', 'social_security', 'QY-RSJ', '咨询社保卡丢失后如何补办，需要携带哪些材料，在哪里办理'),
  m(30, 'help', 'social_management', 'wage_arrears', 'QY-RSJ', '在建筑工地打工半年，包工头拖欠农民工工资三万余元至今未付，请求帮助讨薪'),
  m(25, 'complaint', 'social_management', 'property_management', '@town', '小区物业服务差，电梯经常停运，楼道垃圾无人清理，物业费却照收不误'),
  m(25, 'help', 'public_service', 'water', 'QY-SWJ', '小区突然停水两天，没有任何停水通知，老人孩子生活困难，希望尽快恢复供水'),
  m(22, 'help', 'public_service', 'power', 'QY-GDGS', '家中频繁停电，电压不稳，冰箱等电器已损坏，请求供电公司排查线路'),
  m(20, 'report', 'market_supervision', 'food_safety', 'QY-SCJGJ', '举报某餐馆后厨卫生脏乱，使用过期食材，吃完后出现腹泻症状'),
  m(20, 'complaint', 'market_supervision', 'consumer_rights', 'QY-SCJGJ', '在商场购买的电动车质量有问题，商家拒绝退换，要求维护消费者权益'),
  m(18, 'consultation', 'public_service', 'medical_insurance', 'QY-YBJ', '咨询异地就医备案怎么办理，医保报销比例是多少'),
  m(18, 'help', 'social_management', 'urban_management', 'QY-CGZFJ', '路灯损坏多日无人维修，晚上道路漆黑，行人出行不安全'),
  m(16, 'complaint', 'social_management', 'urban_management', 'QY-CGZFJ', '占道经营现象严重，流动摊贩堵塞人行道，垃圾随地乱扔'),
  m(16, 'help', 'social_management', 'traffic', 'QY-JTYSJ', '公交站台顶棚损坏，雨天候车无处避雨，请求尽快修复'),
  m(15, 'consultation', 'public_service', 'education', 'QY-JYJ', '咨询孩子今年秋季小学入学报名时间和学区划分政策'),
  m(15, 'complaint', 'public_service', 'education', 'QY-JYJ', '反映学校违规组织有偿补课，强制学生购买教辅资料'),
  m(14, 'help', 'social_management', 'community', '@town', '村里道路坑洼不平，雨后积水严重，车辆无法通行，请求硬化道路'),
  m(14, 'report', 'ecological_environment', 'water_pollution', 'QY-STHJJ', '举报河道边有企业偷排污水，河水发黑发臭，鱼虾死亡'),
  m(13, 'complaint', 'public_service', 'gas', 'QY-ZJJ', '燃气公司收费不透明，燃气表计量不准，一个月燃气费比往年高出一倍'),
  m(12, 'consultation', 'public_service', 'housing', 'QY-ZJJ', '咨询公租房申请条件和审批流程，目前排队进度如何查询'),
  m(12, 'complaint', 'public_service', 'housing', 'QY-ZJJ', '购买的商品房逾期交房一年多，开发商一直拖延，房产证也办不下来'),
  m(12, 'help', 'public_service', 'health', 'QY-WJW', '反映社区卫生服务中心看病排队时间长，医生态度差，请求改进'),
  m(11, 'consultation', 'economic_regulation', 'tax', 'QY-SWJU', '咨询个人所得税年度汇算如何办理，专项附加扣除怎么填报'),
  m(10, 'consultation', 'economic_regulation', 'agriculture_subsidy', 'QY-NYNCJ', '咨询今年耕地地力保护补贴什么时候发放，发放标准是多少'),
  m(10, 'complaint', 'economic_regulation', 'price', 'QY-FGW', '反映景区停车场乱收费，收费标准没有公示'),
  m(10, 'help', 'social_management', 'public_security', 'QY-GAJ', '小区多辆电动车被盗，监控损坏无法查看，请求加强巡逻'),
  m(9, 'suggestion', 'social_management', 'traffic', 'QY-JTYSJ', '建议在学校门口增设红绿灯和减速带，上下学高峰期交通拥堵危险'),
  m(9, 'suggestion', 'public_service', 'public_transport', 'QY-JTYSJ', '建议增开到新区的公交线路，延长末班车时间'),
  m(9, 'complaint', 'public_service', 'public_transport', 'QY-JTYSJ', '出租车司机拒载绕路，不打表乱要价'),
  m(8, 'help', 'ecological_environment', 'waste', '@town', '垃圾收集点长期无人清运，垃圾堆积如山，夏天蚊蝇滋生臭味难闻'),
  m(8, 'report', 'social_management', 'urban_management', 'QY-ZRZYJ', '举报有人在耕地上违法建房，占用基本农田'),
  m(8, 'help', 'social_management', 'community', 'QY-MZJ', '家中老人独居无人照料，生活困难，咨询能否申请低保和临时救助'),
  m(7, 'consultation', 'market_supervision', 'business_registration', 'QY-SCJGJ', '咨询个体工商户营业执照怎么在网上办理，需要多长时间'),
  m(7, 'complaint', 'market_supervision', 'drug_safety', 'QY-SCJGJ', '药店销售过期药品，店员推销保健品夸大功效'),
  m(7, 'help', 'public_service', 'water', '@county', '自来水浑浊发黄有异味，怀疑水质不合格，请求检测'),
  m(6, 'complaint', 'ecological_environment', 'noise', '@town', '广场舞音响声音过大，每天晚上持续到十点以后，严重扰民'),
  m(6, 'help', 'social_management', 'property_management', 'QY-ZJJ', '小区井盖缺失，存在安全隐患，已有小孩差点掉进去'),
  m(6, 'report', 'market_supervision', 'special_equipment', 'QY-SCJGJ', '举报商场电梯年检过期仍在运行，运行时异响抖动'),
  m(5, 'suggestion', 'ecological_environment', 'greening', 'QY-CGZFJ', '建议在小区周边空地增加绿化和健身器材，方便居民锻炼'),
  m(5, 'thanks', 'public_service', 'health', 'QY-WJW', '感谢医院急诊科医护人员深夜抢救家中老人，服务热情负责'),
  m(5, 'consultation', 'economic_regulation', 'business_environment', 'QY-FGW', '咨询小微企业有哪些优惠政策，贷款贴息如何申请'),
  m(5, 'complaint', 'economic_regulation', 'investment', '@county', '反映招商引资承诺的土地和补贴迟迟不兑现，企业经营困难'),
  m(4, 'help', 'public_service', 'heating', '@county', '新建小区至今未接通集中供暖，冬季只能用电暖器取暖'),
  m(4, 'report', 'social_management', 'public_security', 'QY-GAJ', '举报有人在小区内聚众赌博，夜间喧哗'),
  m(4, 'consultation', 'public_service', 'social_security', 'QY-RSJ', '咨询城乡居民养老保险缴费档次和补缴政策'),
  m(3, 'help', 'social_management', 'community', 'QY-MZJ', '反映残疾人两项补贴没有按时到账，请求核查'),
  m(3, 'complaint', 'social_management', 'traffic', 'QY-GAJ', '小区门口车辆乱停乱放，消防通道被堵，救护车无法进入'),
  m(3, 'other', 'public_service', 'power', 'QY-GDGS', '反映电线杆倾斜，电线垂落离地面很近，存在触电危险'),
  m(2, 'suggestion', 'public_service', 'health', 'QY-WJW', '建议医院增加夜间门诊和网上预约挂号号源'),
  m(2, 'thanks', 'social_management', 'urban_management', 'QY-CGZFJ', '感谢城管部门及时清理了小区门口的违章搭建'),
];

/** County, its government's unit code, and its towns (the shipped town units where they exist). */
const COUNTIES: Array<{ name: string; unit: string; towns: Array<[string, string | null]> }> = [
  { name: '西峰区', unit: 'QY-XF', towns: [['南街街道', 'QY-XF-NJ'], ['北街街道', 'QY-XF-BJ'], ['西街街道', 'QY-XF-XJ'], ['肖金镇', null], ['董志镇', null], ['后官寨镇', null], ['彭原镇', null], ['温泉镇', null], ['显胜乡', null], ['什社乡', null]] },
  { name: '庆城县', unit: 'QY-QC', towns: [['庆城镇', 'QY-QC-QCZ'], ['驿马镇', 'QY-QC-YMZ'], ['玄马镇', null], ['白马铺镇', null], ['马岭镇', null], ['赤城镇', null], ['高楼镇', null]] },
  { name: '环县', unit: 'QY-HX', towns: [['环城镇', 'QY-HX-HCZ'], ['曲子镇', null], ['甜水镇', null], ['木钵镇', null], ['洪德镇', null], ['合道镇', null]] },
  { name: '华池县', unit: 'QY-HC', towns: [['柔远镇', null], ['悦乐镇', null], ['南梁镇', null], ['城壕镇', null]] },
  { name: '合水县', unit: 'QY-HS', towns: [['西华池镇', null], ['老城镇', null], ['太白镇', null], ['板桥镇', null]] },
  { name: '正宁县', unit: 'QY-ZN', towns: [['山河镇', null], ['永和镇', null], ['周家镇', null], ['榆林子镇', null]] },
  { name: '宁县', unit: 'QY-NX', towns: [['新宁镇', null], ['早胜镇', null], ['和盛镇', null], ['中村镇', null], ['焦村镇', null]] },
  { name: '镇原县', unit: 'QY-ZY', towns: [['城关镇', 'QY-ZY-CCZ'], ['屯字镇', null], ['孟坝镇', null], ['三岔镇', null], ['平泉镇', null], ['临泾镇', null]] },
];
const SPOTS = ['幸福小区', '锦绣花园', '人民路', '解放路', '东街村', '长庆大道', '南湖公园附近', '农贸市场', '第一中学门口', '汽车站附近', '安居小区', '新村'];

export interface Place { text: string; townUnit: string; countyUnit: string }
export interface BenchUnit { code: string; name: string; county: string }

/** Every place (town × spot) and the town units the bench adds where the shipped catalogue has none. */
export function places(): { places: Place[]; units: BenchUnit[] } {
  const out: Place[] = [];
  const units: BenchUnit[] = [];
  for (const c of COUNTIES) {
    c.towns.forEach(([town, shipped], k) => {
      const townUnit = shipped ?? `${c.unit}-B${String(k).padStart(2, '0')}`;
      if (!shipped) units.push({ code: townUnit, name: `${c.name}${town}人民政府`, county: c.unit });
      for (const s of SPOTS) out.push({ text: `${c.name}${town}${s}`, townUnit, countyUnit: c.unit });
    });
  }
  return { places: out, units };
}

/** Search terms the bench looks for: frequent (thousands of tickets each) and rare ones. */
export const COMMON_TERMS = ['油烟', '噪音', '暖气', '拖欠', '物业', '停水'];
export const RARE_TERMS = ['赌博', '触电', '倾斜', '号源', '违章搭建'];
