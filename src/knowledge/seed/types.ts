/** A starter entry as written: question, answer (答复口径), the article(s) it rests on, category, keywords. */
export interface StarterEntry {
  q: string;
  a: string;
  /** Article(s) of 庆政办发〔2022〕157号, e.g. 第二十一条 or 第二十条（三）. */
  art: string;
  cat: string[];
  kw: string[];
  /** Section of the covering notice (庆阳市人民政府办公室关于印发…的通知) when the rule comes from it. */
  notice?: string;
}

export const MEASURES = { document: '庆阳市12345政务服务便民热线管理办法', number: '庆政办发〔2022〕157号' } as const;
export const NOTICE = { document: '庆阳市人民政府办公室关于印发庆阳市12345政务服务便民热线管理办法的通知', number: '庆政办发〔2022〕157号' } as const;
