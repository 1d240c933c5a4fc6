import { expect } from 'chai';
import { csvRow } from '../../../src/admin/audit-routes';

describe('audit CSV export', () => {
  describe('csvRow()', () => {
    it('ends a record with CRLF and leaves plain cells as they are', () => {
      expect(csvRow(['1', 'user.create', 'ada@example.com'])).to.equal('1,user.create,ada@example.com\r\n');
      expect(csvRow(['', 'x'])).to.equal(',x\r\n');
    });

    it('quotes cells with commas, quotes or line breaks, doubling the quotes (RFC 4180)', () => {
      expect(csvRow(['a,b', 'say "hi"', 'two\nlines', 'cr\r'])).to.equal('"a,b","say ""hi""","two\nlines","cr\r"\r\n');
      expect(csvRow(['[{"attribute":"title","to":"Dev"}]'])).to.equal('"[{""attribute"":""title"",""to"":""Dev""}]"\r\n');
    });

    it('prefixes cells a spreadsheet would run as formulas with a quote', () => {
      expect(csvRow(['=1+1', '+1', '-1', '@SUM(A1)', '\tx'])).to.equal("'=1+1,'+1,'-1,'@SUM(A1),'\tx\r\n");
      expect(csvRow(['=HYPERLINK("http://x","y")'])).to.equal('"\'=HYPERLINK(""http://x"",""y"")"\r\n');
      expect(csvRow(['a=1', 'ok-'])).to.equal('a=1,ok-\r\n');
    });
  });
});
