import { mailConfig } from './mail.config';

const problems = (env: Record<string, string>) => mailConfig.problems(env);

describe('mailConfig', () => {
  it('should require SMTP_URL in production, with the exact problem text', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'SMTP_URL: required in production: password-reset codes are sent by mail (e.g. smtp://user:pass@smtp.example.com:587)',
    ]);
  });

  it('should not require it outside production (mail goes to $DATA_DIR/mail)', () => {
    expect(problems({})).toEqual([]);
    expect(mailConfig({}).smtpUrl).toBeNull();
  });

  it.each(['smtp://user:pass@smtp.example.com:587', 'smtps://smtp.example.com', 'smtp://localhost:2525'])(
    'should accept SMTP_URL=%j in production',
    (url) => {
      expect(problems({ NODE_ENV: 'production', SMTP_URL: url })).toEqual([]);
      expect(mailConfig({ NODE_ENV: 'production', SMTP_URL: url }).smtpUrl).toBe(url);
    },
  );

  it.each(['smtp.example.com:587', 'http://smtp.example.com', 'smtp://', 'user:secret-password@smtp'])(
    'should refuse SMTP_URL=%j without repeating it (it may hold a password)',
    (url) => {
      const found = problems({ SMTP_URL: url });
      expect(found).toEqual([
        'SMTP_URL: must be an smtp:// or smtps:// URL such as smtp://user:pass@smtp.example.com:587',
      ]);
      expect(found.join()).not.toContain('secret-password');
    },
  );
});
