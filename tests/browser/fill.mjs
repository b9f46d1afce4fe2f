// Fill the exported Questionnaire in LHC-Forms, in headless Chromium, as a person would: click
// the radio buttons and check boxes, type the numbers. Then export each filled form with
// LForms.Util.getFormFHIRData and print, for each, the QuestionnaireResponse, the linkIds of
// the questions on screen and the help text LHC-Forms shows, by linkId, as one JSON list.
//
// Usage: node fill.mjs JOB.json, where JOB.json holds {playwright, chromium, userDataDir, url,
// questionnaire, plans}; each plan is a list of {linkId, type, text, answer} in the order asked,
// with answer a list of {code, display} (choice, multi) or a number (integer).
import fs from "node:fs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = await import(job.playwright);

const context = await chromium.launchPersistentContext(job.userDataDir, {
  executablePath: job.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
const problems = [];
const responses = [];
try {
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.goto(job.url);
  await page.waitForFunction(() => window.LForms?.Util?.getFormFHIRData);
  const css = (value) => JSON.stringify(value);
  // The help text LHC-Forms takes from the Questionnaire, by linkId (its help buttons).
  const help = await page.evaluate((questionnaire) => {
    const form = LForms.Util.convertFHIRQuestionnaireToLForms(questionnaire, "R4");
    return Object.fromEntries(
      form.items.filter((item) => item.codingInstructions).map((item) => [
        item.linkId,
        item.codingInstructions,
      ]),
    );
  }, job.questionnaire);
  for (const plan of job.plans) {
    await page.evaluate(async (questionnaire) => {
      const element = document.getElementById("form");
      element.innerHTML = "";
      await LForms.Util.addFormToPage(questionnaire, element, { fhirVersion: "R4" });
    }, job.questionnaire);
    for (const step of plan) {
      const id = `${step.linkId}/1`;
      if (step.type === "integer") {
        const field = page.locator(`[id=${css(id)}]`);
        await field.fill(String(step.answer));
        await field.press("Tab");
      } else if (step.type === "choice") {
        const [chosen] = step.answer;
        await page.locator(`[id=${css(`${id}|${chosen.system}|${chosen.code}`)}]`).click();
      } else {
        for (const chosen of step.answer) {
          const label = `Checkbox ${chosen.display} for ${step.text}`;
          await page.locator(`label[aria-label=${css(label)}]`).click();
        }
      }
    }
    const response = await page.evaluate(() =>
      LForms.Util.getFormFHIRData("QuestionnaireResponse", "R4", document.getElementById("form")),
    );
    // The questions on screen: each shows its label, "label-<linkId>/1".
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('label[id^="label-"]')]
        .filter((label) => label.offsetParent !== null)
        .map((label) => label.id.slice("label-".length).split("/")[0]),
    );
    responses.push({ response, shown, help });
  }
} catch (error) {
  problems.push(String(error && error.stack ? error.stack : error));
} finally {
  await context.close();
}
if (problems.length) {
  process.stderr.write(problems.join("\n") + "\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify(responses));
